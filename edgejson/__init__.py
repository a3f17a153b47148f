"""Shared pieces of EdgeJSON + Maaza: the canonical prompt and JSON Schema loading.

Usage: ``from edgejson import build_messages, format_answer``
"""

from edgejson.prompt import SYSTEM_PROMPT, build_messages, build_prompt, format_answer, schema_template

__version__ = "0.1.0"

__all__ = ["SYSTEM_PROMPT", "build_messages", "build_prompt", "format_answer", "schema_template", "__version__"]
