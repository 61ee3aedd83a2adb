"""HTTP: the FastAPI application and its routers."""
