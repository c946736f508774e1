"""Reading a submission file: the notebook of an ``.ipynb``, or the notebook inside a zip.

Every way a file can fail to be a notebook becomes a :class:`ValueError` that names the file and
what is wrong with it, so that the grader writes it in that student's row and feedback.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

__all__ = ["MAX_BYTES", "notebook_bytes"]

MAX_BYTES = 40 * 1024 * 1024


def notebook_bytes(path: Path, notebook_name: str = "") -> tuple[bytes, str]:
    """The notebook of a submission file (an .ipynb, or the notebook inside a zip), as bytes.

    Raises
    ------
    ValueError
        Naming the file and what is wrong with it (not JSON, no notebook in the zip, too big...).
    """
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is {path.stat().st_size / 1e6:.0f} MB, more than the "
                         f"{MAX_BYTES / 1e6:.0f} MB a notebook submission may be")
    data, inner = path.read_bytes(), ""
    if path.suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [i for i in zf.infolist() if i.filename.endswith(".ipynb") and "__MACOSX" not in i.filename
                         and ".ipynb_checkpoints" not in i.filename]
                if not names:
                    raise ValueError(f"{path.name} is a zip file with no notebook inside (it holds "
                                     f"{', '.join(zf.namelist()[:5]) or 'nothing'})")
                names.sort(key=lambda i: (Path(i.filename).name != notebook_name, i.filename))
                info = names[0]
                if info.file_size > MAX_BYTES:
                    raise ValueError(f"the notebook inside {path.name} is too big ({info.file_size / 1e6:.0f} MB)")
                data, inner = zf.read(info), info.filename
        except zipfile.BadZipFile:
            raise ValueError(f"{path.name} is not a readable zip file (damaged or incomplete upload)") from None
    where = f"{path.name}" + (f" ({inner})" if inner else "")
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not a notebook: it is binary, not text (a PDF or an image renamed "
                         f".ipynb?)") from None
    except json.JSONDecodeError:
        start = data[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise ValueError(f"{where} is not a notebook: it is not JSON (it starts {start!r})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{where} is JSON but not a Jupyter notebook (no list of cells)")
    return data, inner
