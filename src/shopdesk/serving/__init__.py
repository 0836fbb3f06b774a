"""The process plumbing: how a shopdesk process serves its store's API (docs/design.md).

- runtime.py: `shopdesk`, the terminal UI and the embedded API in one loop (composition root);
- server.py: `shopdesk serve`, uvicorn inside our loop, the port, the sweep beside the API;
- who_serves.py, port_owner.py, handover.py: one API per store, and the service wins over a TUI.
"""
