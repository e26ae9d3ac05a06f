"""tokencensus: the State of AI token study on your own LLM gateway logs."""

from tokencensus.catalog import Catalog, load_catalog
from tokencensus.schema import EVENT_SCHEMA

__version__ = "0.1.0"

__all__ = ["EVENT_SCHEMA", "Catalog", "__version__", "load_catalog"]
