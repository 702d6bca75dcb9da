"""A text capture of the phone screen, for tests and for README screenshots.

It draws the application's real layout onto a prompt_toolkit Screen of the
given size and reads the characters back, so what it shows is what a terminal
of that size would show.
"""

from __future__ import annotations

from prompt_toolkit.application import Application
from prompt_toolkit.application.current import set_app
from prompt_toolkit.layout.mouse_handlers import MouseHandlers
from prompt_toolkit.layout.screen import Screen, WritePosition


def snapshot(app: Application[None], width: int = 120, height: int = 32) -> str:
    screen = Screen()
    # Controls cache their text per render pass: a new pass number makes them read the model afresh.
    app.render_counter += 1
    with set_app(app):
        app.layout.container.write_to_screen(screen, MouseHandlers(), WritePosition(0, 0, width, height),
                                             parent_style="", erase_bg=False, z_index=None)
        screen.draw_all_floats()
    rows = []
    for y in range(height):
        row = screen.data_buffer[y]
        rows.append("".join(row[x].char for x in range(width)).rstrip())
    return "\n".join(rows)
