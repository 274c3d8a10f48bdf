# Minimal static x86-64 Linux program for scratchbuild tests.
# Build: gcc -nostdlib -static -s -Wl,-n -Wl,--build-id=none -o testdata/rootfs/bin/hello testdata/hello.S
        .globl _start
        .text
_start:
        mov     $1, %eax                # SYS_write
        mov     $1, %edi                # fd 1 (stdout)
        lea     msg(%rip), %rsi         # buffer
        mov     $len, %edx              # length
        syscall
        mov     $60, %eax               # SYS_exit
        xor     %edi, %edi              # status 0
        syscall

        .section .rodata
msg:    .ascii  "Hello from scratchbuild!\n"
        .set    len, . - msg
        .section .note.GNU-stack,"",@progbits
