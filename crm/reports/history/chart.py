"""A market's candles as a PNG (`POST /api/charting`), drawn with Pillow.

Green bars closed up, red ones down, wicks from low to high; prices on the right axis, times (UTC) below, the
market and interval in the title. At most `MAX_BARS` candles (the latest of the span) are drawn.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from crm.trading.models import Candle, Instrument

WIDTH, HEIGHT = 1000, 500
LEFT, RIGHT, TOP, BOTTOM = 20, 90, 40, 40
MAX_BARS = 500
UP, DOWN, GRID, INK, BACKGROUND = (22, 163, 74), (220, 38, 38), (229, 231, 235), (31, 41, 55), (255, 255, 255)
Y_TICKS = 6


def candles(instrument: Instrument, interval: str, start: dt.datetime, end: dt.datetime) -> list[Candle]:
    rows = Candle.objects.filter(instrument=instrument, interval=interval, start__gte=start, start__lt=end)
    return list(reversed(rows.order_by("-start")[:MAX_BARS]))


def _price(value: Decimal, digits: int) -> str:
    return f"{value:.{digits}f}"


def render(instrument: Instrument, interval: str, bars: list[Candle]) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((LEFT, 12), f"{instrument.symbol} {interval}", fill=INK, font=font)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    draw.rectangle((LEFT, TOP, LEFT + plot_w, TOP + plot_h), outline=GRID)
    if not bars:
        draw.text((LEFT + plot_w // 2 - 60, TOP + plot_h // 2), _("No candles in this span."), fill=INK, font=font)
        return _png(image)
    low, high = min(bar.low for bar in bars), max(bar.high for bar in bars)
    span = (high - low) or Decimal(1)

    def y(price: Decimal) -> float:
        return TOP + float((high - price) / span) * plot_h

    for tick in range(Y_TICKS + 1):
        price = low + span * tick / Y_TICKS
        line = y(price)
        draw.line((LEFT, line, LEFT + plot_w, line), fill=GRID)
        draw.text((LEFT + plot_w + 6, line - 6), _price(price, instrument.digits), fill=INK, font=font)
    step = plot_w / len(bars)
    body = max(1.0, step * 0.6)
    label_every = max(1, len(bars) // 6)
    for index, bar in enumerate(bars):
        middle = LEFT + step * (index + 0.5)
        colour = UP if bar.close >= bar.open else DOWN
        draw.line((middle, y(bar.high), middle, y(bar.low)), fill=colour)
        top, bottom = sorted((y(bar.open), y(bar.close)))
        draw.rectangle((middle - body / 2, top, middle + body / 2, max(bottom, top + 1)), fill=colour)
        if index % label_every == 0:
            draw.line((middle, TOP + plot_h, middle, TOP + plot_h + 4), fill=INK)
            label = bar.start.astimezone(dt.UTC).strftime("%d %b %H:%M")
            draw.text((middle - 30, TOP + plot_h + 8), label, fill=INK, font=font)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
