# A .comment section made before the first .ident: the NUL comes where .ident first writes.
	.section .comment
	.byte	5
	.text
	nop
	.ident	"a"
	.section .comment
	.byte	6
	.ident	"b"
