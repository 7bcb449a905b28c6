"""Browser smoke tests: headless Debian Chromium driven by Playwright (marker ``browser``)."""
