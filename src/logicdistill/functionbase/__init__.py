"""The function base D_f: functions with manuals, their versioned store, and admission."""
