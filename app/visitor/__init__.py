"""The anonymous side: QR landing page, the report form, receipt and tracking page."""
