"""The rule families. Importing this package registers every rule."""

from repolint.rules import auto_map, code, compat, compat_files, config, files, generation, processors, schema  # noqa: F401
from repolint.rules import weights  # noqa: F401
from repolint.rules import pickles  # noqa: F401
from repolint.rules import chat_templates  # noqa: F401
from repolint.rules import remote_code  # noqa: F401
from repolint.rules import checkpoint  # noqa: F401
from repolint.rules import config_keys  # noqa: F401
from repolint.rules import processor_parts  # noqa: F401
from repolint.rules import tokenizer_class  # noqa: F401
from repolint.rules import tokenizer_json  # noqa: F401
from repolint.rules import config_values  # noqa: F401
