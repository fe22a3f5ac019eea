# Branch relaxation: a jcc to a label defined after it, less a constant that takes the target
# back before the branch, with `.nops` in between. as's address pass counts the `.nops` as
# empty (rs_space_nop), so its first relaxation pass sees the target 130 bytes back and takes
# rel32, and branches never shrink: the `je` is rel32 though rel8 would reach in the end.
	.text
f:
	.skip 3
	je .L1-130
	.nops 5
.L1:
	ret
