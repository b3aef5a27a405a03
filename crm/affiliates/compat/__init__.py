"""Partner endpoints whose paths and bodies are fixed by seed 003 (DESIGN "Compatibility endpoints")."""
