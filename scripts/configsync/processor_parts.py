"""The parts (sub-processors) each processor class of transformers loads in ``from_pretrained``.

``ProcessorMixin.from_pretrained`` builds a processor from its parts: every attribute that
names a tokenizer, image processor, video processor, feature extractor or audio processor is
loaded on its own (AutoTokenizer, AutoImageProcessor, ... in 5.x; the class named by
``<attribute>_class`` in 4.x), and the first that cannot load makes the whole load fail. Which
attributes a class has is read from the class, not from source:

* 5.x: ``cls.get_attributes()`` -- the ``__init__`` parameters whose name contains a modality
  (``image_processor``, ``video_processor``, ``feature_extractor``, ``audio_processor``,
  ``tokenizer``; ``audio_tokenizer`` excluded), or for a class without such parameters the
  ``<attribute>_class`` class attributes;
* 4.x: the ``attributes`` class list.

Result (``build``; stored under the key ``processor_parts`` of ``transformers-<version>.json``):
processor class name -> its attributes in loading order. A class that cannot be imported here
(a missing backend) is left out: nothing is claimed for it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings


def attributes_of(cls) -> list[str] | None:
    """The attributes ``cls.from_pretrained`` loads, in order (None when the release has neither
    ``get_attributes`` nor an ``attributes`` list, or the class answers with something else)."""
    getter = getattr(cls, "get_attributes", None)
    found = getter() if callable(getter) else getattr(cls, "attributes", None)
    if not isinstance(found, (list, tuple)) or not all(isinstance(a, str) for a in found):
        return None
    return list(found)


def _processor_class(transformers, name: str):
    """The class ``AutoProcessor`` gets for ``processor_class: name`` (None if it cannot be imported)."""
    from transformers.models.auto.processing_auto import processor_class_from_name

    with contextlib.suppress(Exception):
        cls = processor_class_from_name(name)
        if cls is not None:
            return cls
    with contextlib.suppress(Exception):
        return getattr(transformers, name)
    return None


def build(processor_class_names) -> dict[str, list[str]]:
    """``processor_class_names``: the processor classes of the snapshot (``classes["processor"]``,
    i.e. the registry's values and every exported ProcessorMixin subclass)."""
    import transformers
    from transformers.processing_utils import ProcessorMixin

    out: dict[str, list[str]] = {}
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            for name in sorted(set(processor_class_names)):
                cls = _processor_class(transformers, name)
                if not (isinstance(cls, type) and issubclass(cls, ProcessorMixin)) or cls is ProcessorMixin:
                    continue
                parts = attributes_of(cls)
                if parts is not None:
                    out[name] = parts
    finally:
        logging.disable(previous)
    return out
