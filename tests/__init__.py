"""Test suite root: a package, so test packages (tests/cost_allocation) never shadow the libraries."""
