"""Importing PyTorch on demand (optional extra ``lptrain[torch]``).

Nothing in :mod:`lptrain.torch` imports ``torch`` at module import time: ``import lptrain``
and ``import lptrain.torch`` stay light and work without PyTorch; a function that needs it
calls :func:`require_torch`, which names the package to install.
"""

from __future__ import annotations

from typing import Any

__all__ = ["torch_available", "require_torch"]


def torch_available() -> bool:
    """True when PyTorch can be imported.

    Examples
    --------
    >>> isinstance(torch_available(), bool)
    True
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def require_torch(what: str = "this feature") -> Any:
    """Import and return ``torch``, or raise ImportError telling how to install it.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> require_torch("a doctest").__name__
    'torch'
    """
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{what} needs PyTorch, which is not installed: pip install torch "
            "(or pip install 'lptrain[torch]')"
        ) from None
    return torch
