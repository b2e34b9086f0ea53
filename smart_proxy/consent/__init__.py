"""Patient consent: records of what each app may see, and their withdrawal."""

from .records import ConsentRecord
from .store import ConsentStore

__all__ = ["ConsentRecord", "ConsentStore"]
