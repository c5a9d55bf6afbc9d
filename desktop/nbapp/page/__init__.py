"""What the dashboard page shows: cells to HTML, templates, layouts, browser code it links."""
