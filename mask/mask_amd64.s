//go:build amd64 && !purego

#include "textflag.h"

// Register use in xorKey:
//	DI	start of b; in short buffers, start of the bytes not yet masked
//	BX	len(b)
//	AX	key, rotated to start at byte pos&3, repeated twice: the key for
//		chunks starting at a multiple of 4
//	SI	end of b (long buffers)
//	DX	AX rotated for chunks ending at SI (long buffers)
//
// Short buffers (under 128 bytes) are masked front to back in chunks of 64,
// 32, 16, 8, 4, 2 and 1 bytes, one for each bit set in the length (vectors
// from 32 bytes up, words below). No byte is stored twice, so a later load
// of the buffer never straddles two of these stores, which would defeat
// store-to-load forwarding.
//
// Long buffers: the first and last vectors are masked into registers from
// the original bytes, the aligned middle is masked in a loop, and the two
// saved vectors are stored last, covering the unaligned edges. Bytes they
// share with the middle receive the same value twice.

// func xorKey(b []byte, key uint32, pos uint)
TEXT ·xorKey(SB), NOSPLIT, $0-40
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), BX
	MOVL key+24(FP), AX
	MOVQ pos+32(FP), CX
	ANDL $3, CX
	SHLL $3, CX
	RORL CX, AX
	MOVQ AX, DX
	SHLQ $32, DX
	ORQ  DX, AX
	CMPQ BX, $128
	JAE  large
	CMPQ BX, $16
	JB   lt16
	CMPQ BX, $32
	JAE  ge32

	// 16..31 bytes: two words are quicker than setting up a vector.
	XORQ AX, (DI)
	XORQ AX, 8(DI)
	ADDQ $16, DI
	JMP  lt16

ge32:
	MOVQ       AX, X0
	PUNPCKLQDQ X0, X0
	TESTQ      $64, BX
	JZ         no64
	MOVOU      (DI), X2
	MOVOU      16(DI), X3
	MOVOU      32(DI), X4
	MOVOU      48(DI), X5
	PXOR       X0, X2
	PXOR       X0, X3
	PXOR       X0, X4
	PXOR       X0, X5
	MOVOU      X2, (DI)
	MOVOU      X3, 16(DI)
	MOVOU      X4, 32(DI)
	MOVOU      X5, 48(DI)
	ADDQ       $64, DI

no64:
	TESTQ $32, BX
	JZ    no32
	MOVOU (DI), X2
	MOVOU 16(DI), X3
	PXOR  X0, X2
	PXOR  X0, X3
	MOVOU X2, (DI)
	MOVOU X3, 16(DI)
	ADDQ  $32, DI

no32:
	TESTQ $16, BX
	JZ    lt16
	MOVOU (DI), X2
	PXOR  X0, X2
	MOVOU X2, (DI)
	ADDQ  $16, DI

lt16:
	TESTQ $8, BX
	JZ    no8
	XORQ  AX, (DI)
	ADDQ  $8, DI

no8:
	TESTQ $4, BX
	JZ    no4
	XORL  AX, (DI)
	ADDQ  $4, DI

no4:
	TESTQ $2, BX
	JZ    no2
	XORW  AX, (DI)
	ADDQ  $2, DI
	SHRL  $16, AX

no2:
	TESTQ $1, BX
	JZ    done
	XORB  AL, (DI)

done:
	RET

large: // 128 bytes or more
	LEAQ       (DI)(BX*1), SI
	MOVQ       BX, CX
	ANDQ       $3, CX
	SHLQ       $3, CX
	MOVQ       AX, DX
	RORQ       CX, DX
	MOVQ       AX, X0
	PUNPCKLQDQ X0, X0
	MOVQ       DX, X1
	PUNPCKLQDQ X1, X1
	CMPB       ·useAVX2(SB), $0
	JNE        avx2

	// Head and tail vectors, masked from the original bytes.
	MOVOU (DI), X2
	MOVOU -16(SI), X3
	PXOR  X0, X2
	PXOR  X1, X3

	// R8 = first 16-byte boundary after DI, R10 = last one at or before SI,
	// R11 = R10-R8, X4 = key for chunks starting at R8.
	LEAQ       16(DI), R8
	ANDQ       $-16, R8
	MOVQ       SI, R10
	ANDQ       $-16, R10
	MOVQ       R10, R11
	SUBQ       R8, R11
	MOVQ       R8, CX
	SUBQ       DI, CX
	ANDQ       $3, CX
	SHLQ       $3, CX
	MOVQ       AX, R9
	RORQ       CX, R9
	MOVQ       R9, X4
	PUNPCKLQDQ X4, X4
	CMPQ       R11, $64
	JB         sse16

sse64:
	MOVO (R8), X5
	MOVO 16(R8), X6
	MOVO 32(R8), X7
	MOVO 48(R8), X8
	PXOR X4, X5
	PXOR X4, X6
	PXOR X4, X7
	PXOR X4, X8
	MOVO X5, (R8)
	MOVO X6, 16(R8)
	MOVO X7, 32(R8)
	MOVO X8, 48(R8)
	ADDQ $64, R8
	SUBQ $64, R11
	CMPQ R11, $64
	JAE  sse64

sse16:
	TESTQ R11, R11
	JZ    ssedone
	MOVO  (R8), X5
	PXOR  X4, X5
	MOVO  X5, (R8)
	ADDQ  $16, R8
	SUBQ  $16, R11
	JMP   sse16

ssedone:
	MOVOU X2, (DI)
	MOVOU X3, -16(SI)
	RET

avx2:
	VPBROADCASTQ X0, Y0
	VPBROADCASTQ X1, Y1
	VPXOR        (DI), Y0, Y2
	VPXOR        -32(SI), Y1, Y3

	// As above, with 32-byte boundaries.
	LEAQ         32(DI), R8
	ANDQ         $-32, R8
	MOVQ         SI, R10
	ANDQ         $-32, R10
	MOVQ         R10, R11
	SUBQ         R8, R11
	MOVQ         R8, CX
	SUBQ         DI, CX
	ANDQ         $3, CX
	SHLQ         $3, CX
	MOVQ         AX, R9
	RORQ         CX, R9
	MOVQ         R9, X4
	VPBROADCASTQ X4, Y4
	CMPQ         R11, $128
	JB           avx32

avx128:
	VPXOR   (R8), Y4, Y5
	VPXOR   32(R8), Y4, Y6
	VPXOR   64(R8), Y4, Y7
	VPXOR   96(R8), Y4, Y8
	VMOVDQA Y5, (R8)
	VMOVDQA Y6, 32(R8)
	VMOVDQA Y7, 64(R8)
	VMOVDQA Y8, 96(R8)
	ADDQ    $128, R8
	SUBQ    $128, R11
	CMPQ    R11, $128
	JAE     avx128

avx32:
	TESTQ   R11, R11
	JZ      avxdone
	VPXOR   (R8), Y4, Y5
	VMOVDQA Y5, (R8)
	ADDQ    $32, R8
	SUBQ    $32, R11
	JMP     avx32

avxdone:
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, -32(SI)
	VZEROUPPER
	RET

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
