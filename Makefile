# Quickstart: `make demo` then `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean axe model

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# Tesseract reads scanned PDFs (OCR): installed with apt when root, else a hint.
	@command -v tesseract >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends tesseract-ocr \
	  tesseract-ocr-eng tesseract-ocr-osd >/dev/null 2>&1; } || echo "warning: could not install tesseract-ocr"; \
	  else echo "hint: OCR of scanned PDFs needs Tesseract: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd"; fi; }
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m clausegen.demo out

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/accuracy.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus
	$(BIN)/python bench/throughput.py --corpus ../shared/corpus/cuad/texts

# the reviewer's learned passage scorer (clausegen/detect/scorer.bin), from the repo and ../shared; deterministic
model: $(STAMP)
	$(BIN)/python bench/train_scorer.py --labels ../shared/eval/dev_labels.jsonl --corpus ../shared/corpus

# axe-core (npm) for the dashboard's accessibility test; a git-ignored project-local folder, nothing at run time
axe: .axe/node_modules/axe-core/axe.min.js
.axe/node_modules/axe-core/axe.min.js:
	npm install --prefix .axe --no-audit --no-fund --no-save axe-core@4.14 >/dev/null

clean:
	rm -rf $(VENV) out .pytest_cache .axe
