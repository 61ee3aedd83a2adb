"""Real time: the hub that fans committed changes out to judge, display and console sockets."""
