"""The fold loop, tasks and their execution, and the records they produce."""
