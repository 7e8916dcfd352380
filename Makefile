# The README's commands. Each works on a fresh clone: it creates .venv and installs the package first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

BASELINE := scenarios/myanmar_thailand_2025.toml
VARIANTS := scenarios/pre_agreed_sops.toml scenarios/shared_database.toml scenarios/safe_fund.toml \
            scenarios/rapid_response_nrm.toml scenarios/all_recommendations.toml scenarios/second_crossing.toml

.PHONY: install test demo bench lint clean check-report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy sim

test: lint
	$(BIN)/pytest -q -n 2

demo: $(STAMP)
	$(BIN)/repatsim validate $(BASELINE) $(VARIANTS) scenarios/central_asia_surge.toml scenarios/central_asia_regional_mou.toml
	$(BIN)/repatsim compare $(BASELINE) $(VARIANTS) -r 10 --workers 2 -o results/demo-2025
	$(BIN)/repatsim compare scenarios/central_asia_surge.toml scenarios/central_asia_regional_mou.toml -r 10 --workers 2 -o results/demo-central-asia
	@echo
	@echo "Demo done. Open results/demo-2025/report.html and results/demo-central-asia/report.html;"
	@echo "tables (CSV, Parquet) are in those folders, plots in their plots/ subfolders."

# The brief in a real browser: no sideways scrolling at 800 and 1280 px, every scenario on A4 paper. Needs
# Chromium (apt-get install chromium; REPATSIM_CHROMIUM=path for another); also checks the demo's brief when
# `make demo` has written it. Skips, and says so, without Chromium.
check-report: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,browser]'
	REPATSIM_BRIEF_REPORT=$(wildcard $(CURDIR)/results/demo-2025/report.html) $(BIN)/pytest -q -n 0 -rs -s tests/test_brief_browser.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) results/demo-* .pytest_cache .ruff_cache
