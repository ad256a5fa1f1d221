.PHONY: run demo test lint bench venv clean

venv:
	scripts/ensure-venv.sh

run: venv
	scripts/run.sh

demo: venv
	scripts/install-test-debs.sh
	scripts/demo.sh

lint: venv
	.venv/bin/ruff check .
	.venv/bin/python manage.py makemigrations --check --dry-run
	scripts/check-messages.sh

test: venv
	scripts/install-test-debs.sh
	$(MAKE) lint
	.venv/bin/pytest

bench: venv
	scripts/install-test-debs.sh
	.venv/bin/python -m tests.bench

clean:
	rm -rf .venv var/static
