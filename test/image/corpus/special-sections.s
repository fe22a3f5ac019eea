# Sections whose names bfd knows, named with explicit flags: a line that asks for no flag the
# name lacks keeps the name's own flags as well (.data.x "a" is writable, .init_array "a" too);
# one that asks for more takes the line's flags (as warns). Naming an existing known section
# with other flags keeps the first ones (as warns).
	.section .data.x,"a"
	.byte 1
	.section .init_array,"a"
	.quad 2
	.section .tdata,"a"
	.long 3
	.section .rodata,"aw"
	.byte 4
	.section .text,"aw"
	ret
	.section .data.x,"aw"
	.byte 5
