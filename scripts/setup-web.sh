#!/usr/bin/env bash
# Install what the web app and its browser tests need, idempotently:
#   - GOV.UK Frontend and axe-core from the npm registry into ./node_modules
#   - Debian's chromium (Playwright drives it and it prints the PDF packs; never a
#     downloaded browser) and poppler-utils (the pack tests read PDFs with pdftotext)
# Usage: bash scripts/setup-web.sh [--with-browser]
#   --with-browser also installs chromium and poppler-utils (for the browser and PDF tests;
#   needs root or sudo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -f node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css ] \
   || [ ! -f node_modules/axe-core/axe.min.js ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

if [ "${1:-}" = "--with-browser" ] && { [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null; }; then
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium poppler-utils >/dev/null
fi

echo "web setup ready: $(node -p "require('./node_modules/govuk-frontend/package.json').version" 2>/dev/null || echo '?') govuk-frontend, $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium')"
