"""Appeal dossiers: building one for a decision, and rendering it as Markdown or HTML."""
