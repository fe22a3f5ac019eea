# Thread-local storage: .tdata/.tbss (flag T) and the TLS operators, in the code sequences ld
# can link. Every symbol of a TLS section is STT_TLS; TLS relocations name the symbol itself,
# never the section. (Undefined TLS symbols and the other fields are in
# test/asm/reloc-operators.test.ts: ld cannot link them against --defsym values.)
	.text
	.globl	t
t:
	movl	%fs:le@tpoff, %eax
	movq	%fs:0, %rax
	leaq	le@tpoff(%rax), %rax
	movl	le@tpoff+4(%rax,%rbx,2), %eax
	movq	$le@tpoff, %rdx
	movabsq	$le@tpoff, %rdx
	movq	ie@gottpoff(%rip), %rax
	addq	ie@GOTTPOFF(%rip), %rax
	movl	%fs:(%rax), %eax
	data16	leaq gd@tlsgd(%rip), %rdi
	.value	0x6666
	rex64
	call	__tls_get_addr@PLT
	leaq	ld@tlsld(%rip), %rdi
	call	__tls_get_addr@PLT
	movl	ld@dtpoff(%rax), %eax
	leaq	ld@dtpoff(%rax), %rdx
	movq	$ld@DTPOFF, %rcx
	ret
	.section .tbss,"awT",@nobits
	.align 4
	.type	le, @object
	.size	le, 4
le:
	.zero	4
ld:
	.zero	8
	.section .tdata,"awT",@progbits
	.globl	gd, ie
gd:
	.long	7
ie:
	.quad	8
	.section .tbss.more,"awT",@nobits
tb:
	.zero	1
	.section .rodata
	.long	ld@dtpoff
	.quad	ld@DTPOFF
	.long	le@tpoff
	.quad	le@TPOFF
