// gort_async_preempt: the trampoline a preempted goroutine "calls" when the
// SIGURG handler (asyncpreempt.rs) rewrites its signal context. Nothing
// called it: on entry every register still holds the interrupted code's
// values, and the only change is the stack, where the handler stored the
// interrupted PC below the 128-byte red zone:
//
//     interrupted rsp  ->  [ the interrupted code's frame / red zone ]
//     rsp + 8 .. +136      128 bytes of red zone, left alone
//     rsp              ->  the interrupted PC (our "return address")
//
// It saves every register the interrupted code may have live (all general
// registers, the flags, and the x87/SSE/AVX/AVX-512/APX state with XSAVE),
// calls gort_async_preempt_park (Rust: suspends the goroutine; returns when
// the scheduler resumes it, perhaps on another thread), restores all of it
// and returns to the interrupted PC with `ret 128`, which also drops the red
// zone gap, leaving rsp exactly as it was interrupted.
//
// Saved layout, from rbp up: r15 r14 r13 r12 r11 r10 r9 r8 rdi rsi rdx rcx
// rbx rax, flags, rbp, the interrupted PC; the XSAVE area is at rsp.
//
// Operands: {park} the Rust park function; {size}, {mask_lo}, {mask_hi},
// {compact} the XSAVE parameters computed once from CPUID (asyncpreempt.rs).

    .pushsection .text.gort_async_preempt,"ax",@progbits
    .globl gort_async_preempt
    .hidden gort_async_preempt
    .type gort_async_preempt,@function
    .p2align 4
gort_async_preempt:
    .cfi_startproc
    .cfi_signal_frame                  // unwinders: the caller was interrupted, not calling
    .cfi_def_cfa rsp, 136              // CFA = the interrupted rsp
    .cfi_offset rip, -136              // the interrupted PC is saved at CFA - 136
    push rbp                           // frame pointer of the interrupted code
    .cfi_adjust_cfa_offset 8
    .cfi_offset rbp, -144
    pushfq                             // flags first: a compare may be live before its jump
    .cfi_adjust_cfa_offset 8
    push rax   // the fourteen other general registers
    .cfi_adjust_cfa_offset 8
    .cfi_offset rax, -160
    push rbx
    .cfi_adjust_cfa_offset 8
    .cfi_offset rbx, -168
    push rcx
    .cfi_adjust_cfa_offset 8
    .cfi_offset rcx, -176
    push rdx
    .cfi_adjust_cfa_offset 8
    .cfi_offset rdx, -184
    push rsi
    .cfi_adjust_cfa_offset 8
    .cfi_offset rsi, -192
    push rdi
    .cfi_adjust_cfa_offset 8
    .cfi_offset rdi, -200
    push r8
    .cfi_adjust_cfa_offset 8
    .cfi_offset r8, -208
    push r9
    .cfi_adjust_cfa_offset 8
    .cfi_offset r9, -216
    push r10
    .cfi_adjust_cfa_offset 8
    .cfi_offset r10, -224
    push r11
    .cfi_adjust_cfa_offset 8
    .cfi_offset r11, -232
    push r12
    .cfi_adjust_cfa_offset 8
    .cfi_offset r12, -240
    push r13
    .cfi_adjust_cfa_offset 8
    .cfi_offset r13, -248
    push r14
    .cfi_adjust_cfa_offset 8
    .cfi_offset r14, -256
    push r15
    .cfi_adjust_cfa_offset 8
    .cfi_offset r15, -264
    mov rbp, rsp                       // rbp: the bottom of the pushed registers
    .cfi_def_cfa_register rbp          // CFA = rbp + 264 from here on
    sub rsp, qword ptr [rip + {size}]  // room for the XSAVE area ...
    and rsp, -64                       // ... which must be 64-byte aligned
    mov qword ptr [rsp + 512], 0       // zero the 64-byte XSAVE header: XSAVE leaves
    mov qword ptr [rsp + 520], 0       // XCOMP_BV alone, and XRSTOR faults on garbage
    mov qword ptr [rsp + 528], 0       // there; no vector register is touched yet
    mov qword ptr [rsp + 536], 0
    mov qword ptr [rsp + 544], 0
    mov qword ptr [rsp + 552], 0
    mov qword ptr [rsp + 560], 0
    mov qword ptr [rsp + 568], 0
    mov eax, dword ptr [rip + {mask_lo}]  // edx:eax = which state components
    mov edx, dword ptr [rip + {mask_hi}]
    cmp byte ptr [rip + {compact}], 0
    je 2f
    xsavec64 [rsp]                     // compacted form where the CPU has it
    jmp 3f
2:  xsave64 [rsp]                      // standard form otherwise
3:  cld                                // Rust code expects DF = 0
    mov rdi, rbp                       // park(saved registers, XSAVE area): only the
    mov rsi, rsp                       // GORTDEBUG fault injection looks at them
    call {park}                        // suspend; returns once resumed (rsp is 16-aligned)
    mov eax, dword ptr [rip + {mask_lo}]
    mov edx, dword ptr [rip + {mask_hi}]
    xrstor64 [rsp]                     // vector, x87 state, MXCSR and x87 control word back
    mov rsp, rbp                       // drop the XSAVE area
    .cfi_def_cfa_register rsp
    pop r15   // general registers back, in reverse
    .cfi_adjust_cfa_offset -8
    .cfi_restore r15
    pop r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore r14
    pop r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore r13
    pop r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore r12
    pop r11
    .cfi_adjust_cfa_offset -8
    .cfi_restore r11
    pop r10
    .cfi_adjust_cfa_offset -8
    .cfi_restore r10
    pop r9
    .cfi_adjust_cfa_offset -8
    .cfi_restore r9
    pop r8
    .cfi_adjust_cfa_offset -8
    .cfi_restore r8
    pop rdi
    .cfi_adjust_cfa_offset -8
    .cfi_restore rdi
    pop rsi
    .cfi_adjust_cfa_offset -8
    .cfi_restore rsi
    pop rdx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rdx
    pop rcx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rcx
    pop rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rbx
    pop rax
    .cfi_adjust_cfa_offset -8
    .cfi_restore rax
    popfq                              // flags, then rbp, last of all
    .cfi_adjust_cfa_offset -8
    pop rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore rbp
    ret 128                            // to the interrupted PC; rsp += 128 skips the red zone gap
    .cfi_endproc
    .size gort_async_preempt, . - gort_async_preempt
    .popsection
