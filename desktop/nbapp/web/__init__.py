"""The local web server: the page, its event stream, the kernel websocket, who may connect."""
