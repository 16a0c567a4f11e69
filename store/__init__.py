"""PostgreSQL: the pool, the migrations and one repository module per table family."""
