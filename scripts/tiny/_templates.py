"""Chat templates of the tiny tokenizers, with tool sections in the shape of the real models' templates.

- ``QWEN2_TEMPLATE``: ChatML plus Qwen2.5's JSON tool calls (``<tool_call>{"name": .., "arguments": {..}}</tool_call>``);
  mlx-lm maps it to its ``json_tools`` parser.
- ``QWEN3_5_TEMPLATE``: ChatML plus Qwen3.5's XML-ish tool calls
  (``<tool_call><function=NAME><parameter=KEY>value</parameter></function></tool_call>``); mlx-lm maps it to
  ``qwen3_coder``.
Tool results come back as a user turn of ``<tool_response>`` blocks (consecutive tool messages share one turn).
A conversation without tools renders exactly as the plain ChatML template did (no default system prompt, no
thinking block), so existing tests see the same prompts.
"""

from __future__ import annotations

_CONTENT = (
    "{%- macro content(c) -%}"
    "{%- if c is string -%}{{ c }}"
    "{%- elif c is none -%}"
    "{%- else -%}{%- for part in c -%}"
    "{%- if part['type'] == 'image' -%}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{%- endmacro -%}"
)

_TOOL_RESPONSES = (
    "{%- elif message['role'] == 'tool' -%}"
    "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'tool' -%}{{ '<|im_start|>user' }}{%- endif -%}"
    "{{ '\n<tool_response>\n' }}{{ content(message['content']) }}{{ '\n</tool_response>' }}"
    "{%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' -%}{{ '<|im_end|>\n' }}{%- endif -%}"
)

_PLAIN_MESSAGE = (
    "{%- else -%}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}{{ content(message['content']) }}{{ '<|im_end|>\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\n' }}{%- endif -%}"
)


def _system_with_tools(tool_list: str, instructions: str) -> str:
    return (
        "{%- set first_system = messages and messages[0]['role'] == 'system' -%}"
        "{%- if tools -%}"
        "{{ '<|im_start|>system\n' }}"
        "{%- if first_system -%}{{ content(messages[0]['content']) + '\n\n' }}{%- endif -%}"
        + tool_list + instructions +
        "{{ '<|im_end|>\n' }}"
        "{%- endif -%}"
        "{%- for message in messages -%}"
        "{%- if tools and loop.first and first_system -%}"
    )


_JSON_TOOL_LIST = (
    "{{ '# Tools\n\nYou may call one or more functions to assist with the user query.\n\n'"
    " + 'You are provided with function signatures within <tools></tools> XML tags:\n<tools>' }}"
    "{%- for tool in tools -%}{{ '\n' }}{{ tool | tojson }}{%- endfor -%}"
    "{{ '\n</tools>' }}"
)
_JSON_INSTRUCTIONS = (
    "{{ '\n\nFor each function call, return a json object with function name and arguments within '"
    " + '<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": '"
    " + '<args-json-object>}\n</tool_call>' }}"
)
_JSON_CALLS = (
    "{%- elif message['role'] == 'assistant' and message['tool_calls'] is defined and message['tool_calls'] -%}"
    "{{ '<|im_start|>assistant\n' }}{{ content(message['content']) }}"
    "{%- for tool_call in message['tool_calls'] -%}"
    "{%- if tool_call.function is defined -%}{%- set tool_call = tool_call.function -%}{%- endif -%}"
    "{%- if not loop.first or message['content'] -%}{{ '\n' }}{%- endif -%}"
    "{{ '<tool_call>\n{\"name\": \"' }}{{ tool_call.name }}{{ '\", \"arguments\": ' }}"
    "{%- if tool_call.arguments is string -%}{{ tool_call.arguments }}"
    "{%- else -%}{{ tool_call.arguments | tojson }}{%- endif -%}"
    "{{ '}\n</tool_call>' }}"
    "{%- endfor -%}"
    "{{ '<|im_end|>\n' }}"
)

_XML_TOOL_LIST = (
    "{{ '# Tools\n\nYou have access to the following functions:\n\n<tools>' }}"
    "{%- for tool in tools -%}{{ '\n' }}{{ tool | tojson }}{%- endfor -%}"
    "{{ '\n</tools>' }}"
)
_XML_INSTRUCTIONS = (
    "{{ '\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n'"
    " + '<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n'"
    " + '</parameter>\n</function>\n</tool_call>\n\nFunction calls MUST follow the specified format; '"
    " + 'required parameters MUST be given.' }}"
)
_XML_CALLS = (
    "{%- elif message['role'] == 'assistant' and message['tool_calls'] is defined and message['tool_calls'] -%}"
    "{{ '<|im_start|>assistant\n' }}{{ content(message['content']) }}"
    "{%- for tool_call in message['tool_calls'] -%}"
    "{%- if tool_call.function is defined -%}{%- set tool_call = tool_call.function -%}{%- endif -%}"
    "{%- if not loop.first or message['content'] -%}{{ '\n\n' }}{%- endif -%}"
    "{{ '<tool_call>\n<function=' + tool_call.name + '>\n' }}"
    "{%- for key, value in tool_call.arguments | items -%}"
    "{{ '<parameter=' + key + '>\n' }}"
    "{%- if value is string -%}{{ value }}{%- else -%}{{ value | tojson }}{%- endif -%}"
    "{{ '\n</parameter>\n' }}"
    "{%- endfor -%}"
    "{{ '</function>\n</tool_call>' }}"
    "{%- endfor -%}"
    "{{ '<|im_end|>\n' }}"
)

QWEN2_TEMPLATE = (_CONTENT + _system_with_tools(_JSON_TOOL_LIST, _JSON_INSTRUCTIONS)
                  + _JSON_CALLS + _TOOL_RESPONSES + _PLAIN_MESSAGE)
QWEN3_5_TEMPLATE = (_CONTENT + _system_with_tools(_XML_TOOL_LIST, _XML_INSTRUCTIONS)
                    + _XML_CALLS + _TOOL_RESPONSES + _PLAIN_MESSAGE)
