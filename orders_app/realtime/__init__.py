"""Socket.IO: the /orders namespace and the after-commit notifier."""
