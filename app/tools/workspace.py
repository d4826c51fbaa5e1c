"""The workspace folder the coding tools are confined to: every path is resolved and proven inside it.

Refused: absolute paths, any ``..`` component, and anything whose real path (symlinks followed) leaves the root.
Reads are capped in bytes. Writes are atomic (temp file in the same folder, fsync, os.replace).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class WorkspaceError(ValueError):
    """A path or file the tools may not touch; the message is meant for the model and the user."""


@dataclass(frozen=True)
class Workspace:
    root: Path  # resolved, absolute

    @classmethod
    def at(cls, folder: Path | str | None) -> "Workspace":
        if folder is None:
            raise WorkspaceError("No workspace folder is open. Start with --workspace DIR or pick a folder.")
        root = Path(folder).expanduser().resolve()
        if not root.is_dir():
            raise WorkspaceError(f"The workspace {root} is not a folder.")
        return cls(root)

    def resolve(self, relative: str, must_exist: bool = True) -> Path:
        """The real path of ``relative`` inside the root, or WorkspaceError saying why not."""
        text = (relative or ".").strip().replace("\\", "/")
        pure = PurePosixPath(text)
        if pure.is_absolute() or text.startswith("~"):
            raise WorkspaceError(f"'{relative}' is an absolute path; give a path relative to the workspace.")
        if ".." in pure.parts:
            raise WorkspaceError(f"'{relative}' goes up with '..'; only paths inside the workspace are allowed.")
        candidate = self.root.joinpath(*pure.parts)
        real = candidate.resolve()  # follows symlinks, also of missing parents' existing prefix
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError(f"'{relative}' leads outside the workspace (a symlink to {real}); refused.")
        if must_exist and not real.exists():
            raise WorkspaceError(f"'{relative}' does not exist in the workspace.")
        return real

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() or "."

    def read_text(self, relative: str, max_bytes: int) -> tuple[str, bool]:
        """(text, truncated). Binary files are refused."""
        path = self.resolve(relative)
        if path.is_dir():
            raise WorkspaceError(f"'{relative}' is a folder; list it instead of reading it.")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
        truncated = len(data) > max_bytes
        data = data[:max_bytes]
        if b"\0" in data[:8192]:
            raise WorkspaceError(f"'{relative}' is a binary file; it cannot be read as text.")
        return data.decode("utf-8", errors="replace"), truncated

    def write_text(self, relative: str, text: str) -> Path:
        """Atomic write (temp + fsync + os.replace); parent folders are created inside the root."""
        path = self.resolve(relative, must_exist=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.resolve(self.relative(path.parent))  # the created parents are still inside
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def delete(self, relative: str) -> None:
        self.resolve(relative).unlink()

    def is_git(self) -> bool:
        try:
            out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=self.root, capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.returncode == 0
