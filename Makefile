# The two commands a newcomer needs are `make demo` and `make test` (see README.rst).
.PHONY: demo test test-odoo-runner bench lint faults odoo

demo:
	./tools/demo.sh

test:
	./tools/test.sh

# The Odoo suite under Odoo's own runner (odoo-bin --test-enable), on a fresh database.
test-odoo-runner:
	./tools/test_odoo_runner.sh

bench:
	./tools/bench.sh

faults:
	./tools/faults.sh

lint:
	./tools/lint.sh

# Fetch the official Odoo 18.0 source into ODOO_SRC (default /opt/odoo/18.0) when missing.
odoo:
	./tools/get_odoo.sh
