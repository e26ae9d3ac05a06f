# The same commands the README and CI use.
.PHONY: demo test lint

demo:
	python3 -m venv .venv && . .venv/bin/activate && pip install . && tokencensus demo --out tokencensus-report

test:
	python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest

lint:
	. .venv/bin/activate && ruff check src tests benchmarks tools && ruff format --check src tests && mypy
