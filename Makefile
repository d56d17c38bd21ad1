# The two commands a newcomer needs are `make demo` and `make test` (see README.rst).
.PHONY: demo test bench lint faults odoo

demo:
	./tools/demo.sh

test:
	./tools/test.sh

bench:
	./tools/bench.sh

faults:
	./tools/faults.sh

lint:
	./tools/lint.sh

# Fetch the official Odoo 18.0 source into ODOO_SRC (default /opt/odoo/18.0) when missing.
odoo:
	./tools/get_odoo.sh
