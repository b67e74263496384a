"""Pure helpers shared by components: naming, labels, backend loading."""
