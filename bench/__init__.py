"""The benchmark harness (`make bench`) and its helpers; see bench/README.md."""
