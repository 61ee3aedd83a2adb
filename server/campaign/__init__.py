"""The campaign (竞聘工作, DESIGN section 5): rules, decider, tables, store and routes."""
