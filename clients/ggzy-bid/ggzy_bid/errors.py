"""How ``ggzy-bid`` reports failure: one bilingual line on stderr and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # the answer is "no" (a signature that does not verify)
EXIT_USAGE = 2  # the question could not be asked (bad arguments, files, keys, passwords)
EXIT_LATER = 3  # not now: run the same command again later (the platform's storage is full)


class CLIError(Exception):
    """A user-facing failure, with a Chinese and an English wording of the same message."""

    def __init__(self, zh: str, en: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.exit_code = exit_code

    def line(self) -> str:
        return f"错误：{self.zh} / error: {self.en}"
