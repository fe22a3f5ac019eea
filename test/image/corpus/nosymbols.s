# No symbols at all: as writes no .symtab or .strtab.
	.text
	nop
	ret
