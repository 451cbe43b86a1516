"""The output photo of the spec: the 480x640 registration JPEG, the 6-inch print sheet, printing.

``make_registration`` places the head by the rules of photo-spec 1.5 and encodes the file by 1.2;
``build_sheet`` lays out the prints of section 2 from the same crop; ``send_to_printer`` queues a file
on a CUPS printer.
"""

from kiosk.output.encode import EncodedJpeg, EncodeError, EncodeRules, encode_in_band, encode_jpeg
from kiosk.output.printing import PrintError, send_to_printer
from kiosk.output.registration import OutputSettings, RegistrationPhoto, make_registration
from kiosk.output.sheet import SIX_INCH, SheetLayout, Slot, build_sheet, sheet_jpeg, sheet_pdf
from kiosk.vision.geometry import (
    MESSAGES,
    AchievedGeometry,
    GeometryError,
    GeometryRules,
    HeadMeasure,
    Placement,
    solve,
    within,
)

__all__ = [
    "MESSAGES",
    "SIX_INCH",
    "AchievedGeometry",
    "EncodeError",
    "EncodeRules",
    "EncodedJpeg",
    "GeometryError",
    "GeometryRules",
    "HeadMeasure",
    "OutputSettings",
    "Placement",
    "PrintError",
    "RegistrationPhoto",
    "SheetLayout",
    "Slot",
    "build_sheet",
    "encode_in_band",
    "encode_jpeg",
    "make_registration",
    "send_to_printer",
    "sheet_jpeg",
    "sheet_pdf",
    "solve",
    "within",
]
