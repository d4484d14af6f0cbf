# Everything a user needs, on a machine with Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The moment the example incidents are set at: their clocks are judged then, not today.
EXAMPLES_AS_OF := 2026-11-27T12:00Z

.PHONY: demo test lint format bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ca-incident needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## demo: set up, build every example incident, show where the reports are and how to open the dashboard
demo: $(STAMP)
	@for dir in examples/*/; do \
		[ -f "$$dir/incident.yaml" ] || continue; \
		echo "== $$dir"; \
		$(BIN)/ca-incident build "$$dir" --as-of $(EXAMPLES_AS_OF) || exit $$?; \
	done
	@echo
	@echo "Reports: examples/*/out/report.md (clocks judged at $(EXAMPLES_AS_OF), the examples' moment)"
	@echo
	@echo "Dashboard: run  $(BIN)/ca-incident serve examples  and open http://127.0.0.1:8000/"
	@echo "           (add --as-of $(EXAMPLES_AS_OF) to judge the clocks at the examples' moment)"

## test: set up, then run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lint: ruff on src, tests, bench and examples; mypy --strict on src, tests and bench
lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench examples
	$(BIN)/ruff check --fix src tests bench examples

## bench: performance measured as ratios against baselines run alongside
bench: $(STAMP)
	$(BIN)/python -m bench

## docs: regenerate the generated parts of docs/
docs: $(STAMP)
	$(BIN)/python -m ca_incident.docgen

clean:
	rm -rf $(VENV) examples/*/out .pytest_cache .mypy_cache .ruff_cache
