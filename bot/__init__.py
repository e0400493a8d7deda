"""The Telegram bot: a thin adapter between Telegram updates and the `index` search core.

`python -m bot` runs it (see `bot.__main__`); `bot.app.build_application`
wires the handlers; `bot.render` turns hits into messages.
"""
