"""Render tensors exactly as PyTorch 2.13 does with its default print options.

This is a pure-Python port of the rules in ``torch/_tensor_str.py``.  It never
imports an array library: it reads ``.shape``, ``.ndim``, ``.size`` and
``.dtype.kind`` from the host array it is handed, slices it with ``[]`` and
pulls Python numbers out with ``.tolist()``.  Number formatting then uses the
same Python format strings PyTorch uses, so the digits agree exactly.
"""

import functools
import math

__all__ = ["tensor_repr"]

# PyTorch's default print options.
_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80

_PREFIX = "tensor("

# Stands for the run of items a summarized dimension leaves out.
_ELIDED = object()


def tensor_repr(values, *, dtype_name=None, suffixes=()):
    """Return the PyTorch-style ``repr`` of a host array.

    ``values`` is any host array (0-d and empty included) with a dtype of kind
    ``'b'``, ``'i'``, ``'u'``, ``'f'`` or ``'c'``.  ``dtype_name``, when not
    ``None``, is printed as ``dtype=<dtype_name>``; ``suffixes`` are further
    ``key=value`` strings printed after it, in order.

    Which dtypes get named is the caller's decision.  PyTorch hides the
    default float, default complex, int64 and bool dtypes of non-empty
    tensors, but for an empty tensor it names every dtype except the default
    float one, because there are no elements to show what kind it is.
    """
    indent = len(_PREFIX)
    trailing = []
    if values.size == 0:
        body = "[]"
        # PyTorch, like NumPy, only states the shape when it is not (0,).
        if values.ndim != 1:
            trailing.append(f"size={tuple(int(n) for n in values.shape)}")
    else:
        body = _tensor_str(values, indent)
    if dtype_name is not None:
        trailing.append(f"dtype={dtype_name}")
    trailing.extend(suffixes)
    return _add_suffixes(_PREFIX + body, trailing, indent)


class _Formatter:
    """Formats every element of one tensor (or of one complex part) alike.

    The mode and width are chosen once from all the elements that will be
    shown, so the printed columns line up.
    """

    def __init__(self, numbers, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not floating:
            self.width = max([1, *(len(str(n)) for n in numbers)])
            return
        shown = [n for n in numbers if n != 0 and math.isfinite(n)]
        if not shown:
            return
        magnitudes = [abs(n) for n in shown]
        smallest, largest = min(magnitudes), max(magnitudes)
        self.int_mode = all(n == math.ceil(n) for n in shown)
        self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        if self.sci_mode:
            self.width = max(len(f"{n:.{_PRECISION}e}") for n in shown)
        elif self.int_mode:
            # One more for the "." that marks integer-valued floats.
            self.width = max(len(f"{n:.0f}") + 1 for n in shown)
        else:
            self.width = max(len(f"{n:.{_PRECISION}f}") for n in shown)

    def format(self, number):
        """Return ``number`` right-aligned to the common width."""
        if not self.floating:
            text = str(number)
        elif self.sci_mode:
            text = f"{number:{self.width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{number:.0f}"
            if math.isfinite(number):
                text += "."
        else:
            text = f"{number:.{_PRECISION}f}"
        return text.rjust(self.width)


def _tensor_str(values, indent):
    """Return the bracketed data of a non-empty array."""
    summarize = values.size > _THRESHOLD
    nested = _gather(values, summarize)
    shown = list(_flatten(nested, values.ndim))
    if values.dtype.kind == "c":
        real = _Formatter([z.real for z in shown], floating=True)
        imag = _Formatter([z.imag for z in shown], floating=True)
        element = functools.partial(_complex_str, real=real, imag=imag)
        # Both parts, the "j", and the ", " separator.
        element_length = real.width + imag.width + 3
    else:
        formatter = _Formatter(shown, floating=values.dtype.kind == "f")
        element = formatter.format
        element_length = formatter.width + 2
    return _block_str(nested, values.ndim, indent, element, element_length)


def _gather(values, summarize):
    """Return the elements to print as nested Python lists.

    When summarizing, every dimension longer than ``2 * _EDGEITEMS`` keeps only
    its edge items, with ``_ELIDED`` in between; slicing before ``tolist()``
    keeps a huge array from being converted whole.
    """
    if not summarize or values.ndim == 0:
        return values.tolist()
    length = values.shape[0]
    elide = length > 2 * _EDGEITEMS
    if values.ndim == 1:
        if not elide:
            return values.tolist()
        return [*values[:_EDGEITEMS].tolist(), _ELIDED, *values[-_EDGEITEMS:].tolist()]
    if not elide:
        return [_gather(values[i], summarize) for i in range(length)]
    head = [_gather(values[i], summarize) for i in range(_EDGEITEMS)]
    tail = [_gather(values[i], summarize) for i in range(length - _EDGEITEMS, length)]
    return [*head, _ELIDED, *tail]


def _flatten(nested, ndim):
    """Yield the numbers in ``nested``, skipping elided runs."""
    if ndim == 0:
        yield nested
        return
    for item in nested:
        if item is not _ELIDED:
            yield from _flatten(item, ndim - 1)


def _complex_str(number, real, imag):
    """Join the separately formatted parts of a complex number."""
    imag_str = (imag.format(number.imag) + "j").lstrip()
    # A negative imaginary part, -0. included, already carries its sign.
    sign = "" if imag_str[0] in "+-" else "+"
    return real.format(number.real) + sign + imag_str


def _block_str(nested, ndim, indent, element, element_length):
    """Render one (sub)array whose opening bracket sits at column ``indent``."""
    if ndim == 0:
        return element(nested)
    if ndim == 1:
        return _vector_str(nested, indent, element, element_length)
    slices = [
        "..." if item is _ELIDED else _block_str(item, ndim - 1, indent + 1, element, element_length)
        for item in nested
    ]
    # Deeper arrays separate their blocks with more blank lines.
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _vector_str(items, indent, element, element_length):
    """Render a 1-d row, wrapping it to fit the line width."""
    per_line = max(1, (_LINEWIDTH - indent) // element_length)
    data = [" ..." if item is _ELIDED else element(item) for item in items]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _add_suffixes(text, suffixes, indent):
    """Append ``suffixes`` and the closing parenthesis.

    A suffix moves to its own line only when it would overflow the line
    width.  The length of the last line is measured the way PyTorch measures
    it, which counts two characters more on single-line output.
    """
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)
