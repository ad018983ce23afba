"""Files ⇄ frames: reading a dataset folder as string tables and writing plan folders."""
