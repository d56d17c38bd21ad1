# The two commands a newcomer needs are `make demo` and `make test` (see README.rst).
.PHONY: demo test bench lint faults

demo:
	./tools/demo.sh

test:
	./tools/test.sh

bench:
	./tools/bench.sh

faults:
	./tools/faults.sh

lint:
	.venv/bin/ruff check chorus_pro_dilifac sandboxes tests_unit bench faults
