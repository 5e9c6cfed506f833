;; Training's kernels in WebAssembly with 128-bit SIMD on float32 arrays (f32x4: four lanes), called by
;; src/fast/kernels.ts (the products and the gather) and src/fast/backward-sgd.ts (the fused backward pass
;; and SGD step, the word rows' step). Assembled at build time by wabt's wat2wasm into
;; dist/src/fast/kernels.wasm (npm run build:wasm); loaded by src/fast/arena.ts.
;;
;; All arguments are byte offsets into the imported memory (for arrays) or element counts (for sizes);
;; offset 0 stands for "no array" (gemmDtXCore32's W: no step), so the arena never hands it out.
;; Matrices are row-major. Every product keeps a small tile of the result in registers so that each
;; value loaded from memory feeds several multiply-adds; the order of the additions is fixed, so the
;; same inputs always give bit-identical outputs.
;;
;;   gemmXWt32  Z (B×M, row stride ldz) = X (B×n) · Wᵀ (W: M×n) + b     tile: 2 windows × 4 rows of W
;;   gemmDtX32  dW (M×n) += Δᵀ (Δ: B×M, row stride ld) · X,  db += Σ_i Δ   tile: 4 rows of dW × 8 columns
;;              (both: X's one-hot columns by the list of their non-zero values that hotList32 makes)
;;   gemmDW32   dX (B×n) = Δ (row stride ld) · W on the masked column blocks   tile: 2 windows × 16 columns
;;
;; Shapes that do not fill a tile are handled without separate code where possible: a missing second
;; window or W row is computed as a copy of the first and not stored.

(module
  ;; shared: the worker threads of src/fast/team.ts run the same kernels on the same memory, each on
  ;; its own part of the output (so no two threads ever write the same value)
  (import "env" "memory" (memory 1 1024 shared))

  ;; ── gemmXWt32 ─────────────────────────────────────────────────────────────────────────────────────
  ;; Z[i,j] = Σ_t X[i,t] W[j,t] + b[j]. Both operands are read along their rows, so each 2×4 tile is
  ;; 8 dot products over t, kept as 8 f32x4 partial sums (t mod 4) and folded at the end.
  ;; With a one-hot layout (P blocks of m columns, columns hot … m of each one-hot features; P = 0: none)
  ;; the products run over each block's first `hot` columns only, and the one-hot columns come from the
  ;; list $E that hotList32 made of X: W[j, c]·x for each listed (c, x) of the window, in list order.
  (func $gemmXWt32 (export "gemmXWt32")
    (param $X i32) (param $W i32) (param $b i32) (param $Z i32)
    (param $B i32) (param $n i32) (param $M i32) (param $ldz i32)
    (param $P i32) (param $m i32) (param $hot i32) (param $E i32)
    (local $nb i32) (local $i i32) (local $j i32) (local $t i32) (local $pb i32) (local $tv i32) (local $te i32)
    (local $x0 i32) (local $x1 i32) (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $z0 i32) (local $z1 i32) (local $bj i32) (local $two i32) (local $Pd i32) (local $len i32) (local $q i32) (local $q1 i32)
    (local $xa v128) (local $xc v128) (local $v v128)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a03 v128)
    (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128)
    (local $s00 f32) (local $s01 f32) (local $s02 f32) (local $s03 f32)
    (local $s10 f32) (local $s11 f32) (local $s12 f32) (local $s13 f32)
    (local $xs0 f32) (local $xs1 f32) (local $ws f32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    ;; the column segments: one of n columns, or each block's dense `hot` columns
    (if (i32.or (i32.or (i32.eqz (local.get $P)) (i32.eqz (local.get $E))) (i32.ge_u (local.get $hot) (local.get $m)))
      (then (local.set $Pd (i32.const 1)) (local.set $m (local.get $n)) (local.set $hot (local.get $n)) (local.set $E (i32.const 0)))
      (else (local.set $Pd (local.get $P))))
    (local.set $len (i32.shl (i32.and (local.get $hot) (i32.const -4)) (i32.const 2))) ;; a segment's bytes in whole f32x4s
    ;; 4 rows of W (≤ 17 KB at n = 540, so they stay in L1) meet every pair of windows in turn
    (local.set $j (i32.const 0))
    (block $done_j
      (loop $next_j
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $M)))
        (local.set $w0 (i32.add (local.get $W) (i32.mul (local.get $j) (local.get $nb))))
        (local.set $w1 (select (i32.add (local.get $w0) (local.get $nb)) (local.get $w0)
          (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $M))))
        (local.set $w2 (select (i32.add (local.get $w1) (local.get $nb)) (local.get $w0)
          (i32.lt_u (i32.add (local.get $j) (i32.const 2)) (local.get $M))))
        (local.set $w3 (select (i32.add (local.get $w2) (local.get $nb)) (local.get $w0)
          (i32.lt_u (i32.add (local.get $j) (i32.const 3)) (local.get $M))))
        (local.set $i (i32.const 0))
        (block $done_i
          (loop $next_i
            (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
            (local.set $two (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $B)))
            (local.set $x0 (i32.add (local.get $X) (i32.mul (local.get $i) (local.get $nb))))
            (local.set $x1 (select (i32.add (local.get $x0) (local.get $nb)) (local.get $x0) (local.get $two)))
            (local.set $a00 (v128.const f32x4 0 0 0 0)) (local.set $a01 (v128.const f32x4 0 0 0 0))
            (local.set $a02 (v128.const f32x4 0 0 0 0)) (local.set $a03 (v128.const f32x4 0 0 0 0))
            (local.set $a10 (v128.const f32x4 0 0 0 0)) (local.set $a11 (v128.const f32x4 0 0 0 0))
            (local.set $a12 (v128.const f32x4 0 0 0 0)) (local.set $a13 (v128.const f32x4 0 0 0 0))
            (local.set $pb (i32.const 0))
            (block $done_seg (loop $next_seg
              (br_if $done_seg (i32.ge_u (local.get $pb) (local.get $Pd)))
              (local.set $t (i32.shl (i32.mul (local.get $pb) (local.get $m)) (i32.const 2)))
              (local.set $tv (i32.add (local.get $t) (local.get $len)))
              (block $done_t
                (loop $next_t
                  (br_if $done_t (i32.ge_u (local.get $t) (local.get $tv)))
                  (local.set $xa (v128.load (i32.add (local.get $x0) (local.get $t))))
                  (local.set $xc (v128.load (i32.add (local.get $x1) (local.get $t))))
                  (local.set $v (v128.load (i32.add (local.get $w0) (local.get $t))))
                  (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $xa) (local.get $v))))
                  (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $xc) (local.get $v))))
                  (local.set $v (v128.load (i32.add (local.get $w1) (local.get $t))))
                  (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $xa) (local.get $v))))
                  (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $xc) (local.get $v))))
                  (local.set $v (v128.load (i32.add (local.get $w2) (local.get $t))))
                  (local.set $a02 (f32x4.add (local.get $a02) (f32x4.mul (local.get $xa) (local.get $v))))
                  (local.set $a12 (f32x4.add (local.get $a12) (f32x4.mul (local.get $xc) (local.get $v))))
                  (local.set $v (v128.load (i32.add (local.get $w3) (local.get $t))))
                  (local.set $a03 (f32x4.add (local.get $a03) (f32x4.mul (local.get $xa) (local.get $v))))
                  (local.set $a13 (f32x4.add (local.get $a13) (f32x4.mul (local.get $xc) (local.get $v))))
                  (local.set $t (i32.add (local.get $t) (i32.const 16)))
                  (br $next_t)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
              (br $next_seg)))
            ;; fold the two lanes (even t + odd t)
            (local.set $s00 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a00)) (f32x4.extract_lane 1 (local.get $a00))) (f32.add (f32x4.extract_lane 2 (local.get $a00)) (f32x4.extract_lane 3 (local.get $a00)))))
            (local.set $s01 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a01)) (f32x4.extract_lane 1 (local.get $a01))) (f32.add (f32x4.extract_lane 2 (local.get $a01)) (f32x4.extract_lane 3 (local.get $a01)))))
            (local.set $s02 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a02)) (f32x4.extract_lane 1 (local.get $a02))) (f32.add (f32x4.extract_lane 2 (local.get $a02)) (f32x4.extract_lane 3 (local.get $a02)))))
            (local.set $s03 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a03)) (f32x4.extract_lane 1 (local.get $a03))) (f32.add (f32x4.extract_lane 2 (local.get $a03)) (f32x4.extract_lane 3 (local.get $a03)))))
            (local.set $s10 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a10)) (f32x4.extract_lane 1 (local.get $a10))) (f32.add (f32x4.extract_lane 2 (local.get $a10)) (f32x4.extract_lane 3 (local.get $a10)))))
            (local.set $s11 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a11)) (f32x4.extract_lane 1 (local.get $a11))) (f32.add (f32x4.extract_lane 2 (local.get $a11)) (f32x4.extract_lane 3 (local.get $a11)))))
            (local.set $s12 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a12)) (f32x4.extract_lane 1 (local.get $a12))) (f32.add (f32x4.extract_lane 2 (local.get $a12)) (f32x4.extract_lane 3 (local.get $a12)))))
            (local.set $s13 (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a13)) (f32x4.extract_lane 1 (local.get $a13))) (f32.add (f32x4.extract_lane 2 (local.get $a13)) (f32x4.extract_lane 3 (local.get $a13)))))
            ;; each segment's last columns (hot not a multiple of 4), one at a time
            (local.set $pb (i32.const 0))
            (block $done_seg (loop $next_seg
              (br_if $done_seg (i32.ge_u (local.get $pb) (local.get $Pd)))
              (local.set $t (i32.add (i32.shl (i32.mul (local.get $pb) (local.get $m)) (i32.const 2)) (local.get $len)))
              (local.set $te (i32.shl (i32.add (i32.mul (local.get $pb) (local.get $m)) (local.get $hot)) (i32.const 2)))
              (block $done_c (loop $next_c
                  (br_if $done_c (i32.ge_u (local.get $t) (local.get $te)))
                  (local.set $xs0 (f32.load (i32.add (local.get $x0) (local.get $t))))
                  (local.set $xs1 (f32.load (i32.add (local.get $x1) (local.get $t))))
                  (local.set $ws (f32.load (i32.add (local.get $w0) (local.get $t))))
                  (local.set $s00 (f32.add (local.get $s00) (f32.mul (local.get $xs0) (local.get $ws))))
                  (local.set $s10 (f32.add (local.get $s10) (f32.mul (local.get $xs1) (local.get $ws))))
                  (local.set $ws (f32.load (i32.add (local.get $w1) (local.get $t))))
                  (local.set $s01 (f32.add (local.get $s01) (f32.mul (local.get $xs0) (local.get $ws))))
                  (local.set $s11 (f32.add (local.get $s11) (f32.mul (local.get $xs1) (local.get $ws))))
                  (local.set $ws (f32.load (i32.add (local.get $w2) (local.get $t))))
                  (local.set $s02 (f32.add (local.get $s02) (f32.mul (local.get $xs0) (local.get $ws))))
                  (local.set $s12 (f32.add (local.get $s12) (f32.mul (local.get $xs1) (local.get $ws))))
                  (local.set $ws (f32.load (i32.add (local.get $w3) (local.get $t))))
                  (local.set $s03 (f32.add (local.get $s03) (f32.mul (local.get $xs0) (local.get $ws))))
                  (local.set $s13 (f32.add (local.get $s13) (f32.mul (local.get $xs1) (local.get $ws))))
                  (local.set $t (i32.add (local.get $t) (i32.const 4)))
                  (br $next_c)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
              (br $next_seg)))
            ;; the listed one-hot values of the first window, then of the second (a copy of the first's when
            ;; there is none: its sums are dropped)
            (if (local.get $E)
              (then
                (local.set $q (i32.load (i32.add (local.get $E) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $q1 (i32.load offset=4 (i32.add (local.get $E) (i32.shl (local.get $i) (i32.const 2)))))
                (block $done_e (loop $next_e
                  (br_if $done_e (i32.ge_u (local.get $q) (local.get $q1)))
                  (local.set $t (i32.load (local.get $q)))
                  (local.set $xs0 (f32.load offset=8 (local.get $q)))
                  (local.set $s00 (f32.add (local.get $s00) (f32.mul (local.get $xs0) (f32.load (i32.add (local.get $w0) (local.get $t))))))
                  (local.set $s01 (f32.add (local.get $s01) (f32.mul (local.get $xs0) (f32.load (i32.add (local.get $w1) (local.get $t))))))
                  (local.set $s02 (f32.add (local.get $s02) (f32.mul (local.get $xs0) (f32.load (i32.add (local.get $w2) (local.get $t))))))
                  (local.set $s03 (f32.add (local.get $s03) (f32.mul (local.get $xs0) (f32.load (i32.add (local.get $w3) (local.get $t))))))
                  (local.set $q (i32.add (local.get $q) (i32.const 16)))
                  (br $next_e)))
                (local.set $q (i32.load (i32.add (local.get $E) (i32.shl (i32.add (local.get $i) (local.get $two)) (i32.const 2)))))
                (local.set $q1 (i32.load offset=4 (i32.add (local.get $E) (i32.shl (i32.add (local.get $i) (local.get $two)) (i32.const 2)))))
                (block $done_e (loop $next_e
                  (br_if $done_e (i32.ge_u (local.get $q) (local.get $q1)))
                  (local.set $t (i32.load (local.get $q)))
                  (local.set $xs1 (f32.load offset=8 (local.get $q)))
                  (local.set $s10 (f32.add (local.get $s10) (f32.mul (local.get $xs1) (f32.load (i32.add (local.get $w0) (local.get $t))))))
                  (local.set $s11 (f32.add (local.get $s11) (f32.mul (local.get $xs1) (f32.load (i32.add (local.get $w1) (local.get $t))))))
                  (local.set $s12 (f32.add (local.get $s12) (f32.mul (local.get $xs1) (f32.load (i32.add (local.get $w2) (local.get $t))))))
                  (local.set $s13 (f32.add (local.get $s13) (f32.mul (local.get $xs1) (f32.load (i32.add (local.get $w3) (local.get $t))))))
                  (local.set $q (i32.add (local.get $q) (i32.const 16)))
                  (br $next_e)))))
            ;; store the tile, + b; rows and windows past the edge were copies and are dropped
            (local.set $z0 (i32.add (local.get $Z)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldz)) (local.get $j)) (i32.const 2))))
            (local.set $z1 (i32.add (local.get $z0) (i32.shl (local.get $ldz) (i32.const 2))))
            (local.set $bj (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (f32.store (local.get $z0) (f32.add (local.get $s00) (f32.load (local.get $bj))))
            (if (local.get $two)
              (then (f32.store (local.get $z1) (f32.add (local.get $s10) (f32.load (local.get $bj))))))
            (if (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $M))
              (then
                (f32.store offset=4 (local.get $z0) (f32.add (local.get $s01) (f32.load offset=4 (local.get $bj))))
                (if (local.get $two)
                  (then (f32.store offset=4 (local.get $z1) (f32.add (local.get $s11) (f32.load offset=4 (local.get $bj))))))))
            (if (i32.lt_u (i32.add (local.get $j) (i32.const 2)) (local.get $M))
              (then
                (f32.store offset=8 (local.get $z0) (f32.add (local.get $s02) (f32.load offset=8 (local.get $bj))))
                (if (local.get $two)
                  (then (f32.store offset=8 (local.get $z1) (f32.add (local.get $s12) (f32.load offset=8 (local.get $bj))))))))
            (if (i32.lt_u (i32.add (local.get $j) (i32.const 3)) (local.get $M))
              (then
                (f32.store offset=12 (local.get $z0) (f32.add (local.get $s03) (f32.load offset=12 (local.get $bj))))
                (if (local.get $two)
                  (then (f32.store offset=12 (local.get $z1) (f32.add (local.get $s13) (f32.load offset=12 (local.get $bj))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $next_i)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next_j))))

  ;; ── hotList32 ─────────────────────────────────────────────────────────────────────────────────────
  ;; The non-zero values of X's one-hot columns (P blocks of m columns, columns hot … m of each), window by
  ;; window, for gemmXWt32 and gemmDtXCore32, made once a minibatch: at $E, B + 1 addresses (window i's
  ;; entries are those from the i-th to the (i+1)-th), then 16-byte entries (the column's byte offset in a
  ;; row, its number among the one-hot columns × 16, the value). Bytes: hotListBytes (kernels.ts).
  (func (export "hotList32")
    (param $X i32) (param $B i32) (param $n i32) (param $P i32) (param $m i32) (param $hot i32) (param $E i32)
    (local $q i32) (local $i i32) (local $pb i32) (local $c i32) (local $r i32) (local $col i32) (local $cend i32) (local $xs f32)
    (local.set $q (i32.and (i32.add (i32.add (local.get $E) (i32.shl (i32.add (local.get $B) (i32.const 1)) (i32.const 2))) (i32.const 15)) (i32.const -16)))
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (i32.store (i32.add (local.get $E) (i32.shl (local.get $i) (i32.const 2))) (local.get $q))
      (local.set $r (i32.const 0))
      (local.set $pb (i32.const 0))
      (block $done_p (loop $next_p
        (br_if $done_p (i32.ge_u (local.get $pb) (local.get $P)))
        (local.set $col (i32.shl (i32.add (i32.mul (local.get $pb) (local.get $m)) (local.get $hot)) (i32.const 2)))
        (local.set $cend (i32.shl (i32.mul (i32.add (local.get $pb) (i32.const 1)) (local.get $m)) (i32.const 2)))
        (local.set $c (i32.add (i32.add (local.get $X) (i32.mul (local.get $i) (i32.shl (local.get $n) (i32.const 2)))) (local.get $col)))
        (block $done_c (loop $next_c
          (br_if $done_c (i32.ge_u (local.get $col) (local.get $cend)))
          ;; four columns of zeros (most of them): skipped at once
          (if (i32.and (i32.le_u (i32.add (local.get $col) (i32.const 16)) (local.get $cend))
                (i32.eqz (v128.any_true (v128.load (local.get $c)))))
            (then
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (local.set $col (i32.add (local.get $col) (i32.const 16)))
              (local.set $r (i32.add (local.get $r) (i32.const 4)))
              (br $next_c)))
          (local.set $xs (f32.load (local.get $c)))
          (if (f32.ne (local.get $xs) (f32.const 0))
            (then
              (i32.store (local.get $q) (local.get $col))
              (i32.store offset=4 (local.get $q) (i32.shl (local.get $r) (i32.const 4)))
              (f32.store offset=8 (local.get $q) (local.get $xs))
              (local.set $q (i32.add (local.get $q) (i32.const 16)))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (local.set $col (i32.add (local.get $col) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $next_c)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
        (br $next_p)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i)))
    (i32.store (i32.add (local.get $E) (i32.shl (local.get $B) (i32.const 2))) (local.get $q)))

  ;; ── gemmDtX32 ─────────────────────────────────────────────────────────────────────────────────────
  ;; dW[j,t] += Σ_i Δ[i,j] X[i,t]; db[j] += Σ_i Δ[i,j]. For each block of 4 rows of dW, the 4 values
  ;; Δ[i, j..j+3] of every window are first packed side by side into scratch $S (zeros past row M), and
  ;; windows whose 4 values are all zero (relu's dead units) are left out of the list. Then each 4×4
  ;; tile of dW is summed over the listed windows in registers and added to dW once.
  ;; X may be P blocks of m columns whose columns hot … m are one-hot features (P = 0: no such columns):
  ;; those are summed over their non-zero values only, as hotList32 listed them at $E; each window adds
  ;; its packed Δ times the value to the 4 rows' sum of each listed column (in scratch, 4 rows side by
  ;; side), in the order of the windows, as the tiles do. A product with x = 0 adds ±0 to a sum that is
  ;; never −0, so the values are those of the dense sums, bit for bit.
  ;; Scratch: $S needs dtxScratch(B, x) bytes (kernels.ts): packed Δ (B·16), X row offsets and entry
  ;; spans of the listed windows (B·12), the sums (P·(m − hot)·16).
  (func $gemmDtXCore32
    (param $Delta i32) (param $X i32) (param $dW i32) (param $db i32)
    (param $B i32) (param $n i32) (param $M i32) (param $S i32) (param $ld i32)
    (param $W i32) (param $lr f32) (param $l2 f32) (param $P i32) (param $m i32) (param $hot i32) (param $E i32)
    (local $Pd i32) (local $pb i32) (local $tend i32) (local $span i32)
    (local $A i32) (local $nh i32) (local $q i32) (local $q1 i32) (local $c i32)
    (local $step i32) (local $w2 i32) (local $wp i32) (local $lrv v128) (local $l2v v128) (local $th v128) (local $ths f32)
    (local $nb i32) (local $Mb i32) (local $list i32)
    (local $j i32) (local $rows i32) (local $i i32) (local $cnt i32) (local $k i32)
    (local $dp i32) (local $pk i32) (local $t i32) (local $xr i32) (local $dwp i32) (local $dbp i32)
    (local $d0 f32) (local $d1 f32) (local $d2 f32) (local $d3 f32)
    (local $e0 f32) (local $e1 f32) (local $e2 f32) (local $e3 f32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $xv f32)
    (local $x0 v128) (local $x1 v128) (local $d v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $step (i32.ne (local.get $W) (i32.const 0)))
    (local.set $w2 (i32.sub (local.get $W) (local.get $dW))) ;; from a value of dW to the same value of W
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $l2v (f32x4.splat (local.get $l2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $Mb (i32.shl (local.get $ld) (i32.const 2))) ;; Δ's row stride
    (local.set $list (i32.add (local.get $S) (i32.shl (local.get $B) (i32.const 4))))
    (local.set $span (i32.add (local.get $list) (i32.shl (local.get $B) (i32.const 2))))
    (local.set $A (i32.and (i32.add (i32.add (local.get $span) (i32.shl (local.get $B) (i32.const 3))) (i32.const 15)) (i32.const -16)))
    ;; without one-hot columns: one block of n dense columns
    (if (i32.or (i32.eqz (local.get $P)) (i32.ge_u (local.get $hot) (local.get $m)))
      (then (local.set $P (i32.const 0)) (local.set $Pd (i32.const 1)) (local.set $m (local.get $n)) (local.set $hot (local.get $n)))
      (else (local.set $Pd (local.get $P))))
    (local.set $nh (i32.mul (local.get $P) (i32.sub (local.get $m) (local.get $hot))))
    (memory.fill (local.get $A) (i32.const 0) (i32.shl (local.get $nh) (i32.const 4)))
    (local.set $j (i32.const 0))
    (block $done_j
      (loop $next_j
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $M)))
        (local.set $rows (i32.sub (local.get $M) (local.get $j)))
        (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
        ;; pack Δ[i, j..j+3] of the windows with any non-zero value; sum all of them into db
        (local.set $cnt (i32.const 0))
        (local.set $e0 (f32.const 0)) (local.set $e1 (f32.const 0))
        (local.set $e2 (f32.const 0)) (local.set $e3 (f32.const 0))
        (local.set $dp (i32.add (local.get $Delta) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $done_pack
          (loop $next_pack
            (br_if $done_pack (i32.ge_u (local.get $i) (local.get $B)))
            (local.set $d0 (f32.load (local.get $dp)))
            (local.set $d1 (if (result f32) (i32.gt_u (local.get $rows) (i32.const 1))
              (then (f32.load offset=4 (local.get $dp))) (else (f32.const 0))))
            (local.set $d2 (if (result f32) (i32.gt_u (local.get $rows) (i32.const 2))
              (then (f32.load offset=8 (local.get $dp))) (else (f32.const 0))))
            (local.set $d3 (if (result f32) (i32.gt_u (local.get $rows) (i32.const 3))
              (then (f32.load offset=12 (local.get $dp))) (else (f32.const 0))))
            (local.set $e0 (f32.add (local.get $e0) (local.get $d0)))
            (local.set $e1 (f32.add (local.get $e1) (local.get $d1)))
            (local.set $e2 (f32.add (local.get $e2) (local.get $d2)))
            (local.set $e3 (f32.add (local.get $e3) (local.get $d3)))
            (local.set $pk (i32.add (local.get $S) (i32.shl (local.get $cnt) (i32.const 4))))
            (f32.store (local.get $pk) (local.get $d0))
            (f32.store offset=4 (local.get $pk) (local.get $d1))
            (f32.store offset=8 (local.get $pk) (local.get $d2))
            (f32.store offset=12 (local.get $pk) (local.get $d3))
            (i32.store (i32.add (local.get $list) (i32.shl (local.get $cnt) (i32.const 2)))
              (i32.mul (local.get $i) (local.get $nb)))
            (if (local.get $nh)
              (then (i64.store (i32.add (local.get $span) (i32.shl (local.get $cnt) (i32.const 3)))
                (i64.load (i32.add (local.get $E) (i32.shl (local.get $i) (i32.const 2)))))))
            ;; keep this slot only if some value is non-zero (NaN counts as non-zero)
            (local.set $cnt (i32.add (local.get $cnt)
              (i32.or
                (i32.or (f32.ne (local.get $d0) (f32.const 0)) (f32.ne (local.get $d1) (f32.const 0)))
                (i32.or (f32.ne (local.get $d2) (f32.const 0)) (f32.ne (local.get $d3) (f32.const 0))))))
            (local.set $dp (i32.add (local.get $dp) (local.get $Mb)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next_pack)))
        (local.set $dbp (i32.add (local.get $db) (i32.shl (local.get $j) (i32.const 2))))
        (f32.store (local.get $dbp) (f32.add (f32.load (local.get $dbp)) (local.get $e0)))
        (if (i32.gt_u (local.get $rows) (i32.const 1))
          (then (f32.store offset=4 (local.get $dbp) (f32.add (f32.load offset=4 (local.get $dbp)) (local.get $e1)))))
        (if (i32.gt_u (local.get $rows) (i32.const 2))
          (then (f32.store offset=8 (local.get $dbp) (f32.add (f32.load offset=8 (local.get $dbp)) (local.get $e2)))))
        (if (i32.gt_u (local.get $rows) (i32.const 3))
          (then (f32.store offset=12 (local.get $dbp) (f32.add (f32.load offset=12 (local.get $dbp)) (local.get $e3)))))
        ;; the dense columns of each block: 4×8 tiles of dW, then 4×4, then single columns
        (local.set $pb (i32.const 0))
        (block $done_pb (loop $next_pb
        (br_if $done_pb (i32.ge_u (local.get $pb) (local.get $Pd)))
        (local.set $t (i32.shl (i32.mul (local.get $pb) (local.get $m)) (i32.const 2)))
        (local.set $tend (i32.add (local.get $t) (i32.shl (local.get $hot) (i32.const 2))))
        (block $done_t
          (loop $next_t
            (br_if $done_t (i32.gt_u (i32.add (local.get $t) (i32.const 32)) (local.get $tend)))
            (local.set $a00 (v128.const f32x4 0 0 0 0)) (local.set $a01 (v128.const f32x4 0 0 0 0))
            (local.set $a10 (v128.const f32x4 0 0 0 0)) (local.set $a11 (v128.const f32x4 0 0 0 0))
            (local.set $a20 (v128.const f32x4 0 0 0 0)) (local.set $a21 (v128.const f32x4 0 0 0 0))
            (local.set $a30 (v128.const f32x4 0 0 0 0)) (local.set $a31 (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (local.set $pk (local.get $S))
            (block $done_k
              (loop $next_k
                (br_if $done_k (i32.ge_u (local.get $k) (local.get $cnt)))
                (local.set $xr (i32.add (i32.add (local.get $X) (local.get $t))
                  (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2))))))
                (local.set $x0 (v128.load (local.get $xr)))
                (local.set $x1 (v128.load offset=16 (local.get $xr)))
                (local.set $d (v128.load32_splat (local.get $pk)))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $d) (local.get $x0))))
                (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $d) (local.get $x1))))
                (local.set $d (v128.load32_splat offset=4 (local.get $pk)))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $d) (local.get $x0))))
                (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $d) (local.get $x1))))
                (local.set $d (v128.load32_splat offset=8 (local.get $pk)))
                (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $d) (local.get $x0))))
                (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $d) (local.get $x1))))
                (local.set $d (v128.load32_splat offset=12 (local.get $pk)))
                (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $d) (local.get $x0))))
                (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $d) (local.get $x1))))
                (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $next_k)))
            (local.set $dwp (i32.add (i32.add (local.get $dW) (i32.mul (local.get $j) (local.get $nb))) (local.get $t)))
            (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a00)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a00)))))
            (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load offset=16 (local.get $wp)))
                    (v128.store offset=16 (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a01)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store offset=16 (local.get $dwp) (f32x4.add (v128.load offset=16 (local.get $dwp)) (local.get $a01)))))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a10)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a10)))))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load offset=16 (local.get $wp)))
                    (v128.store offset=16 (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a11)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store offset=16 (local.get $dwp) (f32x4.add (v128.load offset=16 (local.get $dwp)) (local.get $a11)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 2))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a20)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a20)))))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load offset=16 (local.get $wp)))
                    (v128.store offset=16 (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a21)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store offset=16 (local.get $dwp) (f32x4.add (v128.load offset=16 (local.get $dwp)) (local.get $a21)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 3))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a30)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a30)))))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load offset=16 (local.get $wp)))
                    (v128.store offset=16 (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a31)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store offset=16 (local.get $dwp) (f32x4.add (v128.load offset=16 (local.get $dwp)) (local.get $a31)))))))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (br $next_t)))
        ;; then 4 columns at a time, the same sums in the same order as the tiles above and the columns below
        (block $done_t4
          (loop $next_t4
            (br_if $done_t4 (i32.gt_u (i32.add (local.get $t) (i32.const 16)) (local.get $tend)))
            (local.set $a00 (v128.const f32x4 0 0 0 0)) (local.set $a10 (v128.const f32x4 0 0 0 0))
            (local.set $a20 (v128.const f32x4 0 0 0 0)) (local.set $a30 (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (local.set $pk (local.get $S))
            (block $done_k
              (loop $next_k
                (br_if $done_k (i32.ge_u (local.get $k) (local.get $cnt)))
                (local.set $x0 (v128.load (i32.add (i32.add (local.get $X) (local.get $t))
                  (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (v128.load32_splat (local.get $pk)) (local.get $x0))))
                (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (v128.load32_splat offset=4 (local.get $pk)) (local.get $x0))))
                (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (v128.load32_splat offset=8 (local.get $pk)) (local.get $x0))))
                (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (v128.load32_splat offset=12 (local.get $pk)) (local.get $x0))))
                (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $next_k)))
            (local.set $dwp (i32.add (i32.add (local.get $dW) (i32.mul (local.get $j) (local.get $nb))) (local.get $t)))
            (if (local.get $step)
              (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                (local.set $th (v128.load (local.get $wp)))
                (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                  (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a00)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
              (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a00)))))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a10)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a10)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 2))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a20)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a20)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 3))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $th (v128.load (local.get $wp)))
                    (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                      (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $a30)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
                  (else (v128.store (local.get $dwp) (f32x4.add (v128.load (local.get $dwp)) (local.get $a30)))))))
            (local.set $t (i32.add (local.get $t) (i32.const 16)))
            (br $next_t4)))
        ;; the last columns, one at a time
        (block $done_c
          (loop $next_c
            (br_if $done_c (i32.ge_u (local.get $t) (local.get $tend)))
            (local.set $s0 (f32.const 0)) (local.set $s1 (f32.const 0))
            (local.set $s2 (f32.const 0)) (local.set $s3 (f32.const 0))
            (local.set $k (i32.const 0))
            (local.set $pk (local.get $S))
            (block $done_k
              (loop $next_k
                (br_if $done_k (i32.ge_u (local.get $k) (local.get $cnt)))
                (local.set $xv (f32.load (i32.add (i32.add (local.get $X) (local.get $t))
                  (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (local.get $pk)) (local.get $xv))))
                (local.set $s1 (f32.add (local.get $s1) (f32.mul (f32.load offset=4 (local.get $pk)) (local.get $xv))))
                (local.set $s2 (f32.add (local.get $s2) (f32.mul (f32.load offset=8 (local.get $pk)) (local.get $xv))))
                (local.set $s3 (f32.add (local.get $s3) (f32.mul (f32.load offset=12 (local.get $pk)) (local.get $xv))))
                (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $next_k)))
            (local.set $dwp (i32.add (i32.add (local.get $dW) (i32.mul (local.get $j) (local.get $nb))) (local.get $t)))
            (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $ths (f32.load (local.get $wp)))
                    (f32.store (local.get $wp) (f32.sub (local.get $ths) (f32.mul (local.get $lr)
                      (f32.add (f32.add (f32.const 0) (local.get $s0)) (f32.mul (local.get $l2) (local.get $ths)))))))
                  (else (f32.store (local.get $dwp) (f32.add (f32.load (local.get $dwp)) (local.get $s0)))))
            (if (i32.gt_u (local.get $rows) (i32.const 1))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $ths (f32.load (local.get $wp)))
                    (f32.store (local.get $wp) (f32.sub (local.get $ths) (f32.mul (local.get $lr)
                      (f32.add (f32.add (f32.const 0) (local.get $s1)) (f32.mul (local.get $l2) (local.get $ths)))))))
                  (else (f32.store (local.get $dwp) (f32.add (f32.load (local.get $dwp)) (local.get $s1)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 2))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $ths (f32.load (local.get $wp)))
                    (f32.store (local.get $wp) (f32.sub (local.get $ths) (f32.mul (local.get $lr)
                      (f32.add (f32.add (f32.const 0) (local.get $s2)) (f32.mul (local.get $l2) (local.get $ths)))))))
                  (else (f32.store (local.get $dwp) (f32.add (f32.load (local.get $dwp)) (local.get $s2)))))))
            (if (i32.gt_u (local.get $rows) (i32.const 3))
              (then
                (local.set $dwp (i32.add (local.get $dwp) (local.get $nb)))
                (if (local.get $step)
                  (then (local.set $wp (i32.add (local.get $dwp) (local.get $w2)))
                    (local.set $ths (f32.load (local.get $wp)))
                    (f32.store (local.get $wp) (f32.sub (local.get $ths) (f32.mul (local.get $lr)
                      (f32.add (f32.add (f32.const 0) (local.get $s3)) (f32.mul (local.get $l2) (local.get $ths)))))))
                  (else (f32.store (local.get $dwp) (f32.add (f32.load (local.get $dwp)) (local.get $s3)))))))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $next_c)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
        (br $next_pb)))
        ;; the one-hot columns: their sums over the listed windows' entries (zero on entry: oneHotStep32
        ;; leaves them so), then the step (or dW +=)
        (if (local.get $nh)
          (then
            (local.set $k (i32.const 0))
            (local.set $pk (local.get $S))
            (block $done_k (loop $next_k
              (br_if $done_k (i32.ge_u (local.get $k) (local.get $cnt)))
              (local.set $d (v128.load (local.get $pk)))
              (local.set $q (i32.load (i32.add (local.get $span) (i32.shl (local.get $k) (i32.const 3)))))
              (local.set $q1 (i32.load offset=4 (i32.add (local.get $span) (i32.shl (local.get $k) (i32.const 3)))))
              (block $done_e (loop $next_e
                (br_if $done_e (i32.ge_u (local.get $q) (local.get $q1)))
                (local.set $c (i32.add (local.get $A) (i32.load offset=4 (local.get $q))))
                (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c))
                  (f32x4.mul (local.get $d) (v128.load32_splat offset=8 (local.get $q)))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $next_e)))
              (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $next_k)))
            (call $oneHotStep32 (local.get $A) (local.get $dW) (local.get $w2) (local.get $step) (local.get $lr) (local.get $l2)
              (local.get $n) (local.get $j) (local.get $rows) (local.get $P) (local.get $m) (local.get $hot))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next_j))))

  ;; gemmDtXCore32's step (or dW +=) on the one-hot columns of rows j … j+rows of dW from their sums A (4 rows
  ;; side by side per column, column after column): four columns at a time, the 4×4 block of sums turned into
  ;; rows (shuffles), then the columns left one at a time; the same float32 operations as the tiles'.
  ;; A step without weight decay (l2 = 0) leaves a weight whose sum is +0 as it is (θ − lr·((0 + 0) + 0·θ)
  ;; = θ, bit for bit), so columns whose sums are all +0 (no listed window has that feature) are skipped.
  ;; The step is written out where it is used, not called: a call per four weights cost a third of dWStep32's
  ;; time on the default model. The sums it read are left at zero, ready for the next four rows' (gemmDtXCore32
  ;; zeroes them once a call, not once every four rows).
  (func $oneHotStep32
    (param $A i32) (param $dW i32) (param $w2 i32) (param $step i32) (param $lr f32) (param $l2 f32)
    (param $n i32) (param $j i32) (param $rows i32) (param $P i32) (param $m i32) (param $hot i32)
    (local $pb i32) (local $q i32) (local $L i32) (local $a i32) (local $dwp i32) (local $r i32) (local $nb i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $skip i32) (local $dp i32) (local $wp i32) (local $sv v128) (local $th v128) (local $lrv v128) (local $l2v v128) (local $ths f32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $l2v (f32x4.splat (local.get $l2)))
    (local.set $L (i32.sub (local.get $m) (local.get $hot)))
    (local.set $skip (i32.and (i32.ne (local.get $step) (i32.const 0)) (f32.eq (local.get $l2) (f32.const 0))))
    (block $done_pb (loop $next_pb
      (br_if $done_pb (i32.ge_u (local.get $pb) (local.get $P)))
      (local.set $a (i32.add (local.get $A) (i32.shl (i32.mul (local.get $pb) (local.get $L)) (i32.const 4))))
      (local.set $dwp (i32.add (local.get $dW) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n))
        (i32.add (i32.mul (local.get $pb) (local.get $m)) (local.get $hot))) (i32.const 2))))
      (local.set $q (i32.const 0))
      (if (i32.eq (local.get $rows) (i32.const 4))
        (then
          (block $done_q (loop $next_q
            (br_if $done_q (i32.gt_u (i32.add (local.get $q) (i32.const 4)) (local.get $L)))
            (local.set $c0 (v128.load (local.get $a)))
            (local.set $c1 (v128.load offset=16 (local.get $a)))
            (local.set $c2 (v128.load offset=32 (local.get $a)))
            (local.set $c3 (v128.load offset=48 (local.get $a)))
            (if (i32.eqz (i32.and (local.get $skip) (i32.eqz (v128.any_true (v128.or (v128.or (local.get $c0) (local.get $c1)) (v128.or (local.get $c2) (local.get $c3)))))))
              (then
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c0) (local.get $c1)))
            (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c2) (local.get $c3)))
            (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c0) (local.get $c1)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c2) (local.get $c3)))
            (local.set $sv (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
            (local.set $dp (local.get $dwp))
            (if (local.get $step)
              (then (local.set $wp (i32.add (local.get $dp) (local.get $w2)))
                (local.set $th (v128.load (local.get $wp)))
                (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                  (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $sv)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
              (else (v128.store (local.get $dp) (f32x4.add (v128.load (local.get $dp)) (local.get $sv)))))
            (local.set $sv (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
            (local.set $dp (i32.add (local.get $dwp) (local.get $nb)))
            (if (local.get $step)
              (then (local.set $wp (i32.add (local.get $dp) (local.get $w2)))
                (local.set $th (v128.load (local.get $wp)))
                (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                  (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $sv)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
              (else (v128.store (local.get $dp) (f32x4.add (v128.load (local.get $dp)) (local.get $sv)))))
            (local.set $sv (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
            (local.set $dp (i32.add (local.get $dwp) (i32.shl (local.get $nb) (i32.const 1))))
            (if (local.get $step)
              (then (local.set $wp (i32.add (local.get $dp) (local.get $w2)))
                (local.set $th (v128.load (local.get $wp)))
                (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                  (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $sv)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
              (else (v128.store (local.get $dp) (f32x4.add (v128.load (local.get $dp)) (local.get $sv)))))
            (local.set $sv (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
            (local.set $dp (i32.add (local.get $dwp) (i32.mul (local.get $nb) (i32.const 3))))
            (if (local.get $step)
              (then (local.set $wp (i32.add (local.get $dp) (local.get $w2)))
                (local.set $th (v128.load (local.get $wp)))
                (v128.store (local.get $wp) (f32x4.sub (local.get $th) (f32x4.mul (local.get $lrv)
                  (f32x4.add (f32x4.add (v128.const f32x4 0 0 0 0) (local.get $sv)) (f32x4.mul (local.get $l2v) (local.get $th)))))))
              (else (v128.store (local.get $dp) (f32x4.add (v128.load (local.get $dp)) (local.get $sv)))))
            (v128.store (local.get $a) (v128.const i32x4 0 0 0 0))
            (v128.store offset=16 (local.get $a) (v128.const i32x4 0 0 0 0))
            (v128.store offset=32 (local.get $a) (v128.const i32x4 0 0 0 0))
            (v128.store offset=48 (local.get $a) (v128.const i32x4 0 0 0 0))))
            (local.set $a (i32.add (local.get $a) (i32.const 64)))
            (local.set $dwp (i32.add (local.get $dwp) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $next_q)))))
      ;; the columns left, row by row
      (block $done_c (loop $next_c
        (br_if $done_c (i32.ge_u (local.get $q) (local.get $L)))
        (local.set $r (select (local.get $rows) (i32.const 0)
          (i32.and (local.get $skip) (i32.eqz (v128.any_true (v128.load (local.get $a)))))))
        (block $done_r (loop $next_r
          (br_if $done_r (i32.ge_u (local.get $r) (local.get $rows)))
          (local.set $dp (i32.add (local.get $dwp) (i32.mul (local.get $r) (local.get $nb))))
          (if (local.get $step)
            (then (local.set $wp (i32.add (local.get $dp) (local.get $w2)))
              (local.set $ths (f32.load (local.get $wp)))
              (f32.store (local.get $wp) (f32.sub (local.get $ths) (f32.mul (local.get $lr)
                (f32.add (f32.add (f32.const 0) (f32.load (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))))) (f32.mul (local.get $l2) (local.get $ths)))))))
            (else (f32.store (local.get $dp) (f32.add (f32.load (local.get $dp)) (f32.load (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))))))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $next_r)))
        (v128.store (local.get $a) (v128.const i32x4 0 0 0 0))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $dwp (i32.add (local.get $dwp) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next_c)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
      (br $next_pb))))

  ;; dW += Δᵀ X, db += Σ Δ, as gemmDtXCore32 without a step.
  (func $gemmDtX32 (export "gemmDtX32")
    (param $Delta i32) (param $X i32) (param $dW i32) (param $db i32)
    (param $B i32) (param $n i32) (param $M i32) (param $S i32) (param $ld i32) (param $P i32) (param $m i32) (param $hot i32) (param $E i32)
    (call $gemmDtXCore32 (local.get $Delta) (local.get $X) (local.get $dW) (local.get $db) (local.get $B) (local.get $n)
      (local.get $M) (local.get $S) (local.get $ld) (i32.const 0) (f32.const 0) (f32.const 0) (local.get $P) (local.get $m) (local.get $hot) (local.get $E)))

  ;; ── gemmDW32 ──────────────────────────────────────────────────────────────────────────────────────
  ;; dX[i, p·m + t] = Σ_j Δ[i,j] W[j, p·m + t] for the blocks p with need[i·P + p] ≠ 0, on the block's
  ;; columns t = 0 … to where need is 1 and t = from … to where it is 2 (a block's columns from `to` on are
  ;; one-hot features, which learn nothing); other entries of dX are not touched. For each block p the
  ;; windows that need it are listed in scratch $S, those with need 1 first, each part padded to an even
  ;; count (its last window twice), and taken two at a time, so that every W vector loaded serves two
  ;; windows. Each value is Σ_j in order of j, whichever tile computes it.
  ;; Scratch: $S needs (B + 2)·4 bytes.
  (func $gemmDW32 (export "gemmDW32")
    (param $Delta i32) (param $W i32) (param $dX i32) (param $B i32) (param $n i32) (param $M i32)
    (param $need i32) (param $P i32) (param $m i32) (param $S i32) (param $ld i32) (param $from i32) (param $to i32)
    (local $p i32) (local $c0 i32) (local $cnt1 i32) (local $cnt i32)
    (block $done_p
      (loop $next_p
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $c0 (i32.mul (local.get $p) (local.get $m)))
        (local.set $cnt1 (call $listNeed (local.get $S) (i32.const 0) (local.get $need) (local.get $B) (local.get $P) (local.get $p) (i32.const 1)))
        (local.set $cnt (call $listNeed (local.get $S) (local.get $cnt1) (local.get $need) (local.get $B) (local.get $P) (local.get $p) (i32.const 2)))
        (call $dWColumns32 (local.get $Delta) (local.get $W) (local.get $dX) (local.get $n) (local.get $M) (local.get $ld)
          (local.get $S) (i32.const 0) (local.get $cnt1) (local.get $c0) (i32.add (local.get $c0) (local.get $to)))
        (call $dWColumns32 (local.get $Delta) (local.get $W) (local.get $dX) (local.get $n) (local.get $M) (local.get $ld)
          (local.get $S) (local.get $cnt1) (local.get $cnt) (i32.add (local.get $c0) (local.get $from)) (i32.add (local.get $c0) (local.get $to)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next_p))))

  ;; gemmDW32's product on columns c0 … c1 of dX for the listed windows S[k0 … k1) (an even count):
  ;; 16 columns × 2 windows at a time, then 12, then 4, then single columns.
  (func $dWColumns32
    (param $Delta i32) (param $W i32) (param $dX i32) (param $n i32) (param $M i32) (param $ld i32)
    (param $S i32) (param $k0 i32) (param $k1 i32) (param $c0 i32) (param $c1 i32)
    (local $ldb i32) (local $nb i32) (local $Mb i32) (local $t i32) (local $end i32) (local $k i32) (local $i i32)
    (local $da i32) (local $dc i32) (local $wp i32) (local $jj i32) (local $xa i32) (local $xc i32)
    (local $sa v128) (local $sc v128) (local $w v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $c0v v128) (local $c1v v128) (local $c2 v128) (local $c3 v128)
    (local $fa f32) (local $fc f32) (local $fw f32)
    (if (i32.ge_u (local.get $k0) (local.get $k1)) (then (return)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $Mb (i32.shl (local.get $M) (i32.const 2)))
    (local.set $ldb (i32.shl (local.get $ld) (i32.const 2))) ;; Δ's row stride (≥ M: columns j0…j0+M of a wider Δ)
    (local.set $t (i32.shl (local.get $c0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $c1) (i32.const 2)))
    ;; 16 columns × 2 windows
    (block $done_t
      (loop $next_t
        (br_if $done_t (i32.gt_u (i32.add (local.get $t) (i32.const 64)) (local.get $end)))
        (local.set $k (local.get $k0))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $k1)))
            (local.set $i (i32.load (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $da (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xa (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $i (i32.load offset=4 (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $dc (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xc (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $wp (i32.add (local.get $W) (local.get $t)))
            (local.set $a0 (v128.const f32x4 0 0 0 0)) (local.set $a1 (v128.const f32x4 0 0 0 0))
            (local.set $a2 (v128.const f32x4 0 0 0 0)) (local.set $a3 (v128.const f32x4 0 0 0 0))
            (local.set $c0v (v128.const f32x4 0 0 0 0)) (local.set $c1v (v128.const f32x4 0 0 0 0))
            (local.set $c2 (v128.const f32x4 0 0 0 0)) (local.set $c3 (v128.const f32x4 0 0 0 0))
            (local.set $jj (i32.const 0))
            (block $done_j
              (loop $next_j
                (br_if $done_j (i32.ge_u (local.get $jj) (local.get $Mb)))
                (local.set $sa (v128.load32_splat (i32.add (local.get $da) (local.get $jj))))
                (local.set $sc (v128.load32_splat (i32.add (local.get $dc) (local.get $jj))))
                (local.set $w (v128.load (local.get $wp)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c0v (f32x4.add (local.get $c0v) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $w (v128.load offset=16 (local.get $wp)))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c1v (f32x4.add (local.get $c1v) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $w (v128.load offset=32 (local.get $wp)))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $w (v128.load offset=48 (local.get $wp)))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $wp (i32.add (local.get $wp) (local.get $nb)))
                (local.set $jj (i32.add (local.get $jj) (i32.const 4)))
                (br $next_j)))
            (v128.store (local.get $xa) (local.get $a0))
            (v128.store offset=16 (local.get $xa) (local.get $a1))
            (v128.store offset=32 (local.get $xa) (local.get $a2))
            (v128.store offset=48 (local.get $xa) (local.get $a3))
            (v128.store (local.get $xc) (local.get $c0v))
            (v128.store offset=16 (local.get $xc) (local.get $c1v))
            (v128.store offset=32 (local.get $xc) (local.get $c2))
            (v128.store offset=48 (local.get $xc) (local.get $c3))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $next_k)))
        (local.set $t (i32.add (local.get $t) (i32.const 64)))
        (br $next_t)))
    ;; 12 columns × 2 windows (a block of 108: its last 12)
    (block $done_t12
      (loop $next_t12
        (br_if $done_t12 (i32.gt_u (i32.add (local.get $t) (i32.const 48)) (local.get $end)))
        (local.set $k (local.get $k0))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $k1)))
            (local.set $i (i32.load (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $da (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xa (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $i (i32.load offset=4 (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $dc (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xc (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $wp (i32.add (local.get $W) (local.get $t)))
            (local.set $a0 (v128.const f32x4 0 0 0 0)) (local.set $a1 (v128.const f32x4 0 0 0 0))
            (local.set $a2 (v128.const f32x4 0 0 0 0))
            (local.set $c0v (v128.const f32x4 0 0 0 0)) (local.set $c1v (v128.const f32x4 0 0 0 0))
            (local.set $c2 (v128.const f32x4 0 0 0 0))
            (local.set $jj (i32.const 0))
            (block $done_j
              (loop $next_j
                (br_if $done_j (i32.ge_u (local.get $jj) (local.get $Mb)))
                (local.set $sa (v128.load32_splat (i32.add (local.get $da) (local.get $jj))))
                (local.set $sc (v128.load32_splat (i32.add (local.get $dc) (local.get $jj))))
                (local.set $w (v128.load (local.get $wp)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c0v (f32x4.add (local.get $c0v) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $w (v128.load offset=16 (local.get $wp)))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c1v (f32x4.add (local.get $c1v) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $w (v128.load offset=32 (local.get $wp)))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $sa) (local.get $w))))
                (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $sc) (local.get $w))))
                (local.set $wp (i32.add (local.get $wp) (local.get $nb)))
                (local.set $jj (i32.add (local.get $jj) (i32.const 4)))
                (br $next_j)))
            (v128.store (local.get $xa) (local.get $a0))
            (v128.store offset=16 (local.get $xa) (local.get $a1))
            (v128.store offset=32 (local.get $xa) (local.get $a2))
            (v128.store (local.get $xc) (local.get $c0v))
            (v128.store offset=16 (local.get $xc) (local.get $c1v))
            (v128.store offset=32 (local.get $xc) (local.get $c2))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $next_k)))
        (local.set $t (i32.add (local.get $t) (i32.const 48)))
        (br $next_t12)))
    ;; 4 columns × 2 windows
    (block $done_t4
      (loop $next_t4
        (br_if $done_t4 (i32.gt_u (i32.add (local.get $t) (i32.const 16)) (local.get $end)))
        (local.set $k (local.get $k0))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $k1)))
            (local.set $i (i32.load (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $da (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xa (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $i (i32.load offset=4 (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $dc (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xc (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $wp (i32.add (local.get $W) (local.get $t)))
            (local.set $a0 (v128.const f32x4 0 0 0 0))
            (local.set $c0v (v128.const f32x4 0 0 0 0))
            (local.set $jj (i32.const 0))
            (block $done_j
              (loop $next_j
                (br_if $done_j (i32.ge_u (local.get $jj) (local.get $Mb)))
                (local.set $w (v128.load (local.get $wp)))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (v128.load32_splat (i32.add (local.get $da) (local.get $jj))) (local.get $w))))
                (local.set $c0v (f32x4.add (local.get $c0v)
                  (f32x4.mul (v128.load32_splat (i32.add (local.get $dc) (local.get $jj))) (local.get $w))))
                (local.set $wp (i32.add (local.get $wp) (local.get $nb)))
                (local.set $jj (i32.add (local.get $jj) (i32.const 4)))
                (br $next_j)))
            (v128.store (local.get $xa) (local.get $a0))
            (v128.store (local.get $xc) (local.get $c0v))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $next_k)))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (br $next_t4)))
    ;; the last columns, one at a time
    (block $done_c (loop $next_c
        (br_if $done_c (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $k (local.get $k0))
        (block $done_k
          (loop $next_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $k1)))
            (local.set $i (i32.load (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $da (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xa (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $i (i32.load offset=4 (i32.add (local.get $S) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $dc (i32.add (local.get $Delta) (i32.mul (local.get $i) (local.get $ldb))))
            (local.set $xc (i32.add (i32.add (local.get $dX) (i32.mul (local.get $i) (local.get $nb))) (local.get $t)))
            (local.set $wp (i32.add (local.get $W) (local.get $t)))
            (local.set $fa (f32.const 0))
            (local.set $fc (f32.const 0))
            (local.set $jj (i32.const 0))
            (block $done_j
              (loop $next_j
                (br_if $done_j (i32.ge_u (local.get $jj) (local.get $Mb)))
                (local.set $fw (f32.load (local.get $wp)))
                (local.set $fa (f32.add (local.get $fa)
                  (f32.mul (f32.load (i32.add (local.get $da) (local.get $jj))) (local.get $fw))))
                (local.set $fc (f32.add (local.get $fc)
                  (f32.mul (f32.load (i32.add (local.get $dc) (local.get $jj))) (local.get $fw))))
                (local.set $wp (i32.add (local.get $wp) (local.get $nb)))
                (local.set $jj (i32.add (local.get $jj) (i32.const 4)))
                (br $next_j)))
            (f32.store (local.get $xa) (local.get $fa))
            (f32.store (local.get $xc) (local.get $fc))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $next_k)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $next_c))))

  ;; Appends to the list at $S (holding $cnt windows) the windows i < B with need[i·P + p] = $want (2: any
  ;; value above 1), padded to an even count with its last window twice; returns the new count.
  (func $listNeed (param $S i32) (param $cnt i32) (param $need i32) (param $B i32) (param $P i32) (param $p i32) (param $want i32)
    (result i32)
    (local $i i32) (local $v i32) (local $c0 i32)
    (local.set $c0 (local.get $cnt))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $B)))
      (i32.store (i32.add (local.get $S) (i32.shl (local.get $cnt) (i32.const 2))) (local.get $i))
      (local.set $v (i32.load8_u (i32.add (local.get $need) (i32.add (i32.mul (local.get $i) (local.get $P)) (local.get $p)))))
      (local.set $cnt (i32.add (local.get $cnt)
        (select (i32.eq (local.get $v) (i32.const 1)) (i32.gt_u (local.get $v) (i32.const 1)) (i32.eq (local.get $want) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (if (i32.and (i32.sub (local.get $cnt) (local.get $c0)) (i32.const 1))
      (then
        (i32.store (i32.add (local.get $S) (i32.shl (local.get $cnt) (i32.const 2)))
          (i32.load (i32.add (local.get $S) (i32.shl (i32.sub (local.get $cnt) (i32.const 1)) (i32.const 2)))))
        (local.set $cnt (i32.add (local.get $cnt) (i32.const 1)))))
    (local.get $cnt))

    ;; ── sgd32 ──────────────────────────────────────────────────────────────────────────────────────
  ;; sgd on float32 θ and g: the same operations as sgd, rounded to float32 at each step.
  (func $sgd32 (export "sgd32")
    (param $theta i32) (param $g i32) (param $len i32) (param $lr f64) (param $l2 f64)
    (local $end i32) (local $end4 i32) (local $lrv v128) (local $l2v v128) (local $t v128) (local $lr4 f32) (local $l24 f32)
    (local.set $lr4 (f32.demote_f64 (local.get $lr)))
    (local.set $l24 (f32.demote_f64 (local.get $l2)))
    (local.set $end (i32.add (local.get $theta) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $theta) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
    (local.set $lrv (f32x4.splat (local.get $lr4)))
    (local.set $l2v (f32x4.splat (local.get $l24)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $theta) (local.get $end4)))
        (local.set $t (v128.load (local.get $theta)))
        (v128.store (local.get $theta) (f32x4.sub (local.get $t)
          (f32x4.mul (local.get $lrv) (f32x4.add (v128.load (local.get $g)) (f32x4.mul (local.get $l2v) (local.get $t))))))
        (v128.store (local.get $g) (v128.const i64x2 0 0))
        (local.set $theta (i32.add (local.get $theta) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $theta) (local.get $end)))
        (f32.store (local.get $theta) (f32.sub (f32.load (local.get $theta))
          (f32.mul (local.get $lr4) (f32.add (f32.load (local.get $g)) (f32.mul (local.get $l24) (f32.load (local.get $theta)))))))
        (f32.store (local.get $g) (f32.const 0))
        (local.set $theta (i32.add (local.get $theta) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (br $next1))))

  ;; ── tanh32 ─────────────────────────────────────────────────────────────────────────────────────
  ;; h = tanh(z) on float32 arrays, four at a time, in float32: the float32 tanh of wasm/scorer.wat's
  ;; $tanh4 (the same instructions, so a model's hidden units come out of training's forward pass and of
  ;; the tagger alike). With a = |z|, y = max(−2a, −30) (beyond, tanh a rounds to 1): tanh a = −m / (2 + m),
  ;; m = e^y − 1, without cancellation: e^y = 2^k (1 + q), k = nearest(y / ln 2), r = (y − k ln2hi) − k ln2lo
  ;; (ln 2 in two parts, k ln2hi exact), q = e^r − 1 by its Taylor polynomial to r⁸ (error below 1e-8),
  ;; m = (2^k − 1) + 2^k q. Then z's sign is put back.
  (func $tanh4f (param $z v128) (result v128)
    (local $y v128) (local $k v128) (local $r v128) (local $p v128) (local $s v128) (local $m v128)
    (local.set $y (f32x4.max (f32x4.mul (v128.const f32x4 -2 -2 -2 -2) (f32x4.abs (local.get $z)))
      (v128.const f32x4 -30 -30 -30 -30)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $y)
      (v128.const f32x4 0x1.715476p0 0x1.715476p0 0x1.715476p0 0x1.715476p0))))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $y) (f32x4.mul (local.get $k) (v128.const f32x4 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1)))
      (f32x4.mul (local.get $k) (v128.const f32x4 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20))))
    (local.set $p (v128.const f32x4 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16)) ;; 1/8!
    (local.set $p (f32x4.add (v128.const f32x4 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13) (f32x4.mul (local.get $r) (local.get $p)))) ;; 1/7!
    (local.set $p (f32x4.add (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10) (f32x4.mul (local.get $r) (local.get $p)))) ;; 1/6!
    (local.set $p (f32x4.add (v128.const f32x4 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7) (f32x4.mul (local.get $r) (local.get $p)))) ;; 1/5!
    (local.set $p (f32x4.add (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5) (f32x4.mul (local.get $r) (local.get $p)))) ;; 1/4!
    (local.set $p (f32x4.add (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3) (f32x4.mul (local.get $r) (local.get $p)))) ;; 1/3!
    (local.set $p (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $r) (local.get $p))))
    ;; q = r + r² p; 2^k from its exponent bits (k ≥ −44: a normal number)
    (local.set $p (f32x4.add (local.get $r) (f32x4.mul (f32x4.mul (local.get $r) (local.get $r)) (local.get $p))))
    (local.set $s (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    (local.set $m (f32x4.add (f32x4.sub (local.get $s) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $s) (local.get $p))))
    (v128.or
      (v128.and (local.get $z) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
      (f32x4.abs (f32x4.div (local.get $m) (f32x4.add (v128.const f32x4 2 2 2 2) (local.get $m))))))

  (func $tanh32 (export "tanh32") (param $z i32) (param $h i32) (param $len i32)
    (local $end4 i32) (local $end i32)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $z) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $z) (local.get $end4)))
        (v128.store (local.get $h) (call $tanh4f (v128.load (local.get $z))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (br $next)))
    ;; the last one to three values, in lane 0 of the same code
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $z) (local.get $end)))
        (f32.store (local.get $h) (f32x4.extract_lane 0 (call $tanh4f (f32x4.splat (f32.load (local.get $z))))))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $h (i32.add (local.get $h) (i32.const 4)))
        (br $next1))))

  ;; ── add, add32 ─────────────────────────────────────────────────────────────────────────────────
  ;; a[i] += b[i] for i < len (∂J/∂x's two half sums, added).
  (func $add32 (export "add32") (param $a i32) (param $b i32) (param $len i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end4)))
        (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (block $done1
      (loop $next1
        (br_if $done1 (i32.ge_u (local.get $a) (local.get $end)))
        (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $next1))))

  ;; ── gather32 ───────────────────────────────────────────────────────────────────────────────────
  ;; The window vectors of a minibatch, block by block: block k (at X + k·m float32s) is word row
  ;; src[k] — own[src[k]] (float64, rounded to float32) when src[k] ≥ 0, near[−src[k] − 1] (float32) when
  ;; it is negative — followed by m − d zeros, but a 1 at column d + hot[k·Q + q] for each q < Q where that
  ;; is ≥ 0 (the one-hot features). d is a multiple of 4.
  (func (export "gather32")
    (param $X i32) (param $own i32) (param $near i32) (param $src i32) (param $hot i32)
    (param $blocks i32) (param $m i32) (param $d i32) (param $Q i32)
    (local $k i32) (local $r i32) (local $from i32) (local $to i32) (local $j i32) (local $db i32) (local $c i32) (local $q i32) (local $h i32)
    (local.set $db (i32.shl (local.get $d) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $blocks)))
        (local.set $r (i32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $to (i32.add (local.get $X) (i32.shl (i32.mul (local.get $k) (local.get $m)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (if (i32.ge_s (local.get $r) (i32.const 0))
          (then
            ;; float64 → float32, four at a time
            (local.set $from (i32.add (local.get $own) (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 3))))
            (block $done_own
              (loop $next_own
                (br_if $done_own (i32.ge_u (local.get $j) (local.get $db)))
                (v128.store (i32.add (local.get $to) (local.get $j))
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                    (f32x4.demote_f64x2_zero (v128.load (i32.add (local.get $from) (i32.shl (local.get $j) (i32.const 1)))))
                    (f32x4.demote_f64x2_zero (v128.load offset=16 (i32.add (local.get $from) (i32.shl (local.get $j) (i32.const 1)))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $next_own))))
          (else
            (local.set $from (i32.add (local.get $near)
              (i32.shl (i32.mul (i32.sub (i32.const -1) (local.get $r)) (local.get $d)) (i32.const 2))))
            (memory.copy (local.get $to) (local.get $from) (local.get $db))))
        ;; the rest of the block: zeros, then the ones
        (memory.fill (i32.add (local.get $to) (local.get $db)) (i32.const 0) (i32.shl (i32.sub (local.get $m) (local.get $d)) (i32.const 2)))
        (local.set $h (i32.add (local.get $hot) (i32.shl (i32.mul (local.get $k) (local.get $Q)) (i32.const 2))))
        (local.set $q (i32.const 0))
        (block $done_q (loop $next_q
          (br_if $done_q (i32.ge_u (local.get $q) (local.get $Q)))
          (local.set $c (i32.load (i32.add (local.get $h) (i32.shl (local.get $q) (i32.const 2)))))
          (if (i32.ge_s (local.get $c) (i32.const 0))
            (then (f32.store (i32.add (local.get $to) (i32.shl (i32.add (local.get $d) (local.get $c)) (i32.const 2))) (f32.const 1))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $next_q)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; ── subwordMean32, subwordStep32 ───────────────────────────────────────────────────────────────
  ;; ch(w) of a minibatch's words and the step on their n-gram rows (subword.ts's meanRows32 and
  ;; backward-sgd.ts's stepSubwordRows: the same float64 and float32 operations in the same order as those
  ;; JavaScript loops, so the values are bit-identical). Z: R×D float32. A pack (kernels.ts's packSubwords)
  ;; lists K blocks and the U distinct words among them that have n-grams: word[k] (block k's word, −1
  ;; for none), first[v] (word v's first block), and word v's n-gram rows rows[g] for g in [span[2v], span[2v+1]).
  ;;
  ;; ch(w) = (Σ_g Z[g]) · (1/|G|), summed in float64 over g in order and rounded to float32 once, into X
  ;; (block k at k·m, ch(w) at column d) at the word's first block, then copied to its other blocks.
  ;; Blocks without n-grams are left as they are (gather32 wrote zeros there).
  (func (export "subwordMean32")
    (param $Z i32) (param $D i32) (param $X i32) (param $m i32) (param $d i32) (param $K i32) (param $U i32)
    (param $word i32) (param $first i32) (param $span i32) (param $rows i32)
    (local $v i32) (local $k i32) (local $g i32) (local $g1 i32) (local $t i32) (local $out i32) (local $z i32)
    (local $a f64) (local $f f64) (local $s0 v128) (local $s1 v128) (local $Db i32) (local $from i32)
    (local $s2 v128) (local $s3 v128) (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128) (local $av v128)
    (local.set $Db (i32.shl (local.get $D) (i32.const 2)))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $v) (local.get $U)))
      (local.set $g (i32.load (i32.add (local.get $span) (i32.shl (local.get $v) (i32.const 3)))))
      (local.set $g1 (i32.load offset=4 (i32.add (local.get $span) (i32.shl (local.get $v) (i32.const 3)))))
      (local.set $a (f64.div (f64.const 1) (f64.convert_i32_u (i32.sub (local.get $g1) (local.get $g)))))
      (local.set $out (i32.add (local.get $X) (i32.shl (i32.add (local.get $d) (i32.mul (local.get $m)
        (i32.load (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2)))))) (i32.const 2))))
      ;; sixteen columns at a time (eight float64x2 sums, each row's 64 bytes read once), then four (two
      ;; sums), then the rest one at a time: each column is the same sum over the rows in order
      (local.set $t (i32.const 0))
      (local.set $av (f64x2.splat (local.get $a)))
      (block $done_t16 (loop $next_t16
        (br_if $done_t16 (i32.gt_u (i32.add (local.get $t) (i32.const 16)) (local.get $D)))
        (local.set $s0 (v128.const f64x2 0 0)) (local.set $s1 (v128.const f64x2 0 0))
        (local.set $s2 (v128.const f64x2 0 0)) (local.set $s3 (v128.const f64x2 0 0))
        (local.set $s4 (v128.const f64x2 0 0)) (local.set $s5 (v128.const f64x2 0 0))
        (local.set $s6 (v128.const f64x2 0 0)) (local.set $s7 (v128.const f64x2 0 0))
        (local.set $k (local.get $g))
        (block $done_g (loop $next_g
          (br_if $done_g (i32.ge_u (local.get $k) (local.get $g1)))
          (local.set $z (i32.add (local.get $Z) (i32.shl (i32.add (local.get $t) (i32.mul (local.get $D)
            (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))))) (i32.const 2))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $z)))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $z)))))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $z)))))
          (local.set $s3 (f64x2.add (local.get $s3) (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $z)))))
          (local.set $s4 (f64x2.add (local.get $s4) (f64x2.promote_low_f32x4 (v128.load64_zero offset=32 (local.get $z)))))
          (local.set $s5 (f64x2.add (local.get $s5) (f64x2.promote_low_f32x4 (v128.load64_zero offset=40 (local.get $z)))))
          (local.set $s6 (f64x2.add (local.get $s6) (f64x2.promote_low_f32x4 (v128.load64_zero offset=48 (local.get $z)))))
          (local.set $s7 (f64x2.add (local.get $s7) (f64x2.promote_low_f32x4 (v128.load64_zero offset=56 (local.get $z)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next_g)))
        (local.set $z (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2))))
        (v128.store64_lane 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s0) (local.get $av))))
        (v128.store64_lane offset=8 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s1) (local.get $av))))
        (v128.store64_lane offset=16 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s2) (local.get $av))))
        (v128.store64_lane offset=24 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s3) (local.get $av))))
        (v128.store64_lane offset=32 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s4) (local.get $av))))
        (v128.store64_lane offset=40 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s5) (local.get $av))))
        (v128.store64_lane offset=48 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s6) (local.get $av))))
        (v128.store64_lane offset=56 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s7) (local.get $av))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (br $next_t16)))
      (block $done_t (loop $next_t
        (br_if $done_t (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $D)))
        (local.set $s0 (v128.const f64x2 0 0))
        (local.set $s1 (v128.const f64x2 0 0))
        (local.set $k (local.get $g))
        (block $done_g (loop $next_g
          (br_if $done_g (i32.ge_u (local.get $k) (local.get $g1)))
          (local.set $z (i32.add (local.get $Z) (i32.shl (i32.add (local.get $t) (i32.mul (local.get $D)
            (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))))) (i32.const 2))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $z)))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $z)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next_g)))
        (local.set $z (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2))))
        (v128.store64_lane 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s0) (f64x2.splat (local.get $a)))))
        (v128.store64_lane offset=8 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul (local.get $s1) (f64x2.splat (local.get $a)))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $next_t)))
      (block $done_t1 (loop $next_t1
        (br_if $done_t1 (i32.ge_u (local.get $t) (local.get $D)))
        (local.set $f (f64.const 0))
        (local.set $k (local.get $g))
        (block $done_g (loop $next_g
          (br_if $done_g (i32.ge_u (local.get $k) (local.get $g1)))
          (local.set $f (f64.add (local.get $f) (f64.promote_f32 (f32.load (i32.add (local.get $Z) (i32.shl (i32.add (local.get $t)
            (i32.mul (local.get $D) (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))))) (i32.const 2)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next_g)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $f) (local.get $a))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next_t1)))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $next_v)))
    ;; the word's other blocks: copies
    (local.set $k (i32.const 0))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $v (i32.load (i32.add (local.get $word) (i32.shl (local.get $k) (i32.const 2)))))
      (if (i32.ge_s (local.get $v) (i32.const 0))
        (then
          (local.set $from (i32.load (i32.add (local.get $first) (i32.shl (local.get $v) (i32.const 2)))))
          (if (i32.ne (local.get $from) (local.get $k))
            (then (memory.copy
              (i32.add (local.get $X) (i32.shl (i32.add (local.get $d) (i32.mul (local.get $k) (local.get $m))) (i32.const 2)))
              (i32.add (local.get $X) (i32.shl (i32.add (local.get $d) (i32.mul (local.get $from) (local.get $m))) (i32.const 2)))
              (local.get $Db))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_k))))

  ;; The step on Z from ∂J/∂x (dX: block k at k·m, ∂J/∂ch(w) at column d): g_v = Σ of the D columns over the
  ;; blocks of word v in block order (float32 sums from 0, in acc: U·D float32s, then D float64s for the
  ;; word in hand at acc + ⌈U·D/4⌉·16); then, word after word, Z[r] ← float32(Z[r] − (lr/|G|)·g_v) in float64
  ;; for each n-gram row r of the word in turn (a row met twice is stepped twice, one after the other).
  (func (export "subwordStep32")
    (param $Z i32) (param $D i32) (param $dX i32) (param $m i32) (param $d i32) (param $K i32) (param $U i32)
    (param $word i32) (param $span i32) (param $rows i32) (param $acc i32) (param $lr f64)
    (local $v i32) (local $k i32) (local $g i32) (local $g1 i32) (local $t i32) (local $a i32) (local $x i32) (local $z i32)
    (local $c f64) (local $f f64) (local $D4 i32) (local $gb i32) (local $zv v128)
    (local.set $D4 (i32.and (local.get $D) (i32.const -4)))
    (local.set $gb (i32.add (local.get $acc) (i32.shl (i32.shr_u (i32.add (i32.mul (local.get $U) (local.get $D)) (i32.const 3)) (i32.const 2)) (i32.const 4))))
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (i32.mul (local.get $U) (local.get $D)) (i32.const 2)))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $v (i32.load (i32.add (local.get $word) (i32.shl (local.get $k) (i32.const 2)))))
      (if (i32.ge_s (local.get $v) (i32.const 0))
        (then
          (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $v) (local.get $D)) (i32.const 2))))
          (local.set $x (i32.add (local.get $dX) (i32.shl (i32.add (local.get $d) (i32.mul (local.get $k) (local.get $m))) (i32.const 2))))
          (local.set $t (i32.const 0))
          (block $done_t (loop $next_t
            (br_if $done_t (i32.ge_u (local.get $t) (local.get $D4)))
            (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $x))))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $next_t)))
          (block $done_t1 (loop $next_t1
            (br_if $done_t1 (i32.ge_u (local.get $t) (local.get $D)))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32.load (local.get $x))))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $next_t1)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_k)))
    (local.set $v (i32.const 0))
    (block $done_v (loop $next_v
      (br_if $done_v (i32.ge_u (local.get $v) (local.get $U)))
      (local.set $g (i32.load (i32.add (local.get $span) (i32.shl (local.get $v) (i32.const 3)))))
      (local.set $g1 (i32.load offset=4 (i32.add (local.get $span) (i32.shl (local.get $v) (i32.const 3)))))
      (local.set $c (f64.div (local.get $lr) (f64.convert_i32_u (i32.sub (local.get $g1) (local.get $g)))))
      ;; (lr/|G|)·g_v in float64, once
      (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $v) (local.get $D)) (i32.const 2))))
      (local.set $t (i32.const 0))
      (block $done_t (loop $next_t
        (br_if $done_t (i32.ge_u (local.get $t) (local.get $D)))
        (f64.store (i32.add (local.get $gb) (i32.shl (local.get $t) (i32.const 3)))
          (f64.mul (local.get $c) (f64.promote_f32 (f32.load (i32.add (local.get $a) (i32.shl (local.get $t) (i32.const 2)))))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next_t)))
      ;; row after row: four columns at a time (two float64x2 halves), then one at a time
      (local.set $k (local.get $g))
      (block $done_g (loop $next_g
        (br_if $done_g (i32.ge_u (local.get $k) (local.get $g1)))
        (local.set $z (i32.add (local.get $Z) (i32.shl (i32.mul (local.get $D)
          (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))) (i32.const 2))))
        (local.set $x (local.get $gb))
        (local.set $t (i32.const 0))
        (block $done_t (loop $next_t
          (br_if $done_t (i32.ge_u (local.get $t) (local.get $D4)))
          (local.set $zv (v128.load (local.get $z)))
          (v128.store (local.get $z) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.sub (f64x2.promote_low_f32x4 (local.get $zv)) (v128.load (local.get $x))))
            (f32x4.demote_f64x2_zero (f64x2.sub
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $zv) (local.get $zv)))
              (v128.load offset=16 (local.get $x))))))
          (local.set $z (i32.add (local.get $z) (i32.const 16)))
          (local.set $x (i32.add (local.get $x) (i32.const 32)))
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $next_t)))
        (block $done_t1 (loop $next_t1
          (br_if $done_t1 (i32.ge_u (local.get $t) (local.get $D)))
          (f32.store (local.get $z) (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $z))) (f64.load (local.get $x)))))
          (local.set $z (i32.add (local.get $z) (i32.const 4)))
          (local.set $x (i32.add (local.get $x) (i32.const 8)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $next_t1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_g)))
      (local.set $v (i32.add (local.get $v) (i32.const 1)))
      (br $next_v))))

  ;; ── gemmXWtTanh32 ──────────────────────────────────────────────────────────────────────────────
  ;; The forward pass's first layer in one call: Z (B×M, row stride ldz) = X Wᵀ + b, then H = tanh Z on the
  ;; same columns (H has Z's layout). A thread that owns rows j … j+M of W computes its columns of both.
  (func (export "gemmXWtTanh32")
    (param $X i32) (param $W i32) (param $b i32) (param $Z i32)
    (param $B i32) (param $n i32) (param $M i32) (param $ldz i32)
    (param $P i32) (param $m i32) (param $hot i32) (param $E i32) (param $H i32)
    (local $i i32) (local $o i32)
    (call $gemmXWt32 (local.get $X) (local.get $W) (local.get $b) (local.get $Z)
      (local.get $B) (local.get $n) (local.get $M) (local.get $ldz)
      (local.get $P) (local.get $m) (local.get $hot) (local.get $E))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $B)))
        (local.set $o (i32.shl (i32.mul (local.get $i) (local.get $ldz)) (i32.const 2)))
        (call $tanh32 (i32.add (local.get $Z) (local.get $o)) (i32.add (local.get $H) (local.get $o)) (local.get $M))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

;; ── the one-vs-rest head ───────────────────────────────────────────────────────────────────────
  ;; Classifier k (of K, H hidden units each) owns hidden units kH … kH+H: rows of W, b and U (U: K×H is
  ;; one value per hidden unit) and columns of Z, H and Δ (B×GH, GH = K·H); c[k] and column k of S and
  ;; dS (B×K). These loops compute in float64 and round to float32 where backward-sgd.ts's JavaScript loops
  ;; (relu, sigmoid) store into their Float32Arrays, in the same order, so every activation gets the same bits.

  ;; S[i,k] = c[k] + Σ_t U[k,t] H[i,kH+t]   (float64 sum, t in order), for every window and classifier
  (func (export "ovrScores32")
    (param $Hh i32) (param $U i32) (param $c i32) (param $S i32) (param $B i32) (param $H i32) (param $K i32)
    (local $i i32) (local $k i32) (local $t i32) (local $hp i32) (local $up i32) (local $acc f64)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $hp (i32.add (local.get $Hh) (i32.shl (i32.mul (local.get $i) (i32.mul (local.get $K) (local.get $H))) (i32.const 2))))
      (local.set $up (local.get $U))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $acc (f64.promote_f32 (f32.load (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 2))))))
        (local.set $t (i32.const 0))
        (block $done_t (loop $next_t
          (br_if $done_t (i32.ge_u (local.get $t) (local.get $H)))
          (local.set $acc (f64.add (local.get $acc) (f64.mul (f64.promote_f32 (f32.load (local.get $up))) (f64.promote_f32 (f32.load (local.get $hp))))))
          (local.set $up (i32.add (local.get $up) (i32.const 4)))
          (local.set $hp (i32.add (local.get $hp) (i32.const 4)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $next_t)))
        (f32.store (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2)))
          (f32.demote_f64 (local.get $acc)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i))))

  ;; dc[k] += dS[i,k] for every window i in turn (float64 sum, rounded to float32 at each step)
  (func (export "ovrDc32") (param $dS i32) (param $dc i32) (param $B i32) (param $K i32)
    (local $i i32) (local $k i32) (local $p i32)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $k (i32.const 0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $p (i32.add (local.get $dc) (i32.shl (local.get $k) (i32.const 2))))
        (f32.store (local.get $p) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $p)))
          (f64.promote_f32 (f32.load (i32.add (local.get $dS) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next_k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i))))

  ;; Hidden units r0 … r1 (of classifier k = r / H each): dU[r] += dS[i,k] h[i,r] over the windows in turn,
  ;; and δ[i,r] = dS[i,k] U[r] ∘ (1 − h[i,r]²), rounded to float32 after the product with U[r] (as backward-sgd.ts
  ;; stores it) and again after ∘. Then the part of ∂J/∂x = Wᵀδ that these rows give, on the blocks $need
  ;; marks, into $dX (gemmDW32, scratch $Sl).
  (func (export "ovrDeltaDx32")
    (param $dS i32) (param $Hh i32) (param $U i32) (param $dU i32) (param $Delta i32) (param $W i32) (param $dX i32)
    (param $need i32) (param $P i32) (param $m i32) (param $Sl i32)
    (param $B i32) (param $n i32) (param $H i32) (param $K i32) (param $r0 i32) (param $r1 i32) (param $from i32) (param $to i32)
    (call $ovrDelta32 (local.get $dS) (local.get $Hh) (local.get $U) (local.get $dU) (local.get $Delta)
      (local.get $B) (local.get $H) (local.get $K) (local.get $r0) (local.get $r1))
    (if (i32.gt_u (local.get $r1) (local.get $r0))
      (then (call $gemmDW32 (i32.add (local.get $Delta) (i32.shl (local.get $r0) (i32.const 2)))
        (i32.add (local.get $W) (i32.shl (i32.mul (local.get $r0) (local.get $n)) (i32.const 2))) (local.get $dX)
        (local.get $B) (local.get $n) (i32.sub (local.get $r1) (local.get $r0)) (local.get $need) (local.get $P) (local.get $m)
        (local.get $Sl) (i32.mul (local.get $K) (local.get $H)) (local.get $from) (local.get $to)))))

  ;; ovrDeltaDx32's first half: dU and δ on hidden units r0 … r1, window by window, classifier by classifier,
  ;; two units at a time in float64x2 lanes (the same float64 operations and roundings as one at a time).
  (func $ovrDelta32
    (param $dS i32) (param $Hh i32) (param $U i32) (param $dU i32) (param $Delta i32)
    (param $B i32) (param $H i32) (param $K i32) (param $r0 i32) (param $r1 i32)
    (local $GH i32) (local $i i32) (local $r i32) (local $k i32) (local $end i32) (local $end2 i32) (local $o i32) (local $row i32)
    (local $ds f64) (local $h f64) (local $ds2 v128) (local $h2 v128)
    (local.set $GH (i32.mul (local.get $K) (local.get $H)))
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $row (i32.mul (local.get $i) (local.get $GH)))
      (local.set $r (local.get $r0))
      (block $done_k (loop $next_k
        (br_if $done_k (i32.ge_u (local.get $r) (local.get $r1)))
        ;; units r … end belong to classifier k; pairs of them up to end2
        (local.set $k (i32.div_u (local.get $r) (local.get $H)))
        (local.set $end (i32.mul (i32.add (local.get $k) (i32.const 1)) (local.get $H)))
        (if (i32.gt_u (local.get $end) (local.get $r1)) (then (local.set $end (local.get $r1))))
        (local.set $end2 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $r)) (i32.const 1))))
        (local.set $ds (f64.promote_f32 (f32.load (i32.add (local.get $dS) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))))
        (local.set $ds2 (f64x2.splat (local.get $ds)))
        (block $done_r2 (loop $next_r2
          (br_if $done_r2 (i32.ge_u (local.get $r) (local.get $end2)))
          (local.set $o (i32.shl (i32.add (local.get $row) (local.get $r)) (i32.const 2)))
          (local.set $h2 (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $Hh) (local.get $o)))))
          (v128.store64_lane 0 (i32.add (local.get $dU) (i32.shl (local.get $r) (i32.const 2)))
            (f32x4.demote_f64x2_zero (f64x2.add
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dU) (i32.shl (local.get $r) (i32.const 2)))))
              (f64x2.mul (local.get $ds2) (local.get $h2)))))
          (v128.store64_lane 0 (i32.add (local.get $Delta) (local.get $o)) (f32x4.demote_f64x2_zero (f64x2.mul
            (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul (local.get $ds2)
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $U) (i32.shl (local.get $r) (i32.const 2))))))))
            (f64x2.sub (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $h2) (local.get $h2))))))
          (local.set $r (i32.add (local.get $r) (i32.const 2)))
          (br $next_r2)))
        ;; an odd last unit
        (if (i32.lt_u (local.get $r) (local.get $end))
          (then
            (local.set $o (i32.shl (i32.add (local.get $row) (local.get $r)) (i32.const 2)))
            (local.set $h (f64.promote_f32 (f32.load (i32.add (local.get $Hh) (local.get $o)))))
            (f32.store (i32.add (local.get $dU) (i32.shl (local.get $r) (i32.const 2)))
              (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $dU) (i32.shl (local.get $r) (i32.const 2)))))
                (f64.mul (local.get $ds) (local.get $h)))))
            (f32.store (i32.add (local.get $Delta) (local.get $o)) (f32.demote_f64 (f64.mul
              (f64.promote_f32 (f32.demote_f64 (f64.mul (local.get $ds) (f64.promote_f32 (f32.load (i32.add (local.get $U) (i32.shl (local.get $r) (i32.const 2))))))))
              (f64.sub (f64.const 1) (f64.mul (local.get $h) (local.get $h))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))))
        (br $next_k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i))))

  ;; The softmax head's counterpart of ovrDeltaDx32, once Δ holds dh = Uᵀ ∂J/∂s: on hidden units
  ;; r0 … r1, δ[i,r] = dh[i,r] ∘ (1 − h[i,r]²) (float64, rounded to float32, as backward-sgd.ts), then the part
  ;; of ∂J/∂x = Wᵀδ that these rows of W give, on the blocks $need marks, into $dX (gemmDW32, scratch $Sl).
  (func (export "tanhDeltaDx32")
    (param $Hh i32) (param $Delta i32) (param $W i32) (param $dX i32)
    (param $need i32) (param $P i32) (param $m i32) (param $Sl i32)
    (param $B i32) (param $n i32) (param $GH i32) (param $r0 i32) (param $r1 i32) (param $from i32) (param $to i32)
    (call $tanhDelta32 (local.get $Hh) (local.get $Delta) (local.get $B) (local.get $GH) (local.get $r0) (local.get $r1))
    (if (i32.gt_u (local.get $r1) (local.get $r0))
      (then (call $gemmDW32 (i32.add (local.get $Delta) (i32.shl (local.get $r0) (i32.const 2)))
        (i32.add (local.get $W) (i32.shl (i32.mul (local.get $r0) (local.get $n)) (i32.const 2))) (local.get $dX)
        (local.get $B) (local.get $n) (i32.sub (local.get $r1) (local.get $r0)) (local.get $need) (local.get $P) (local.get $m)
        (local.get $Sl) (local.get $GH) (local.get $from) (local.get $to)))))

  ;; tanhDeltaDx32's first half: δ on hidden units r0 … r1.
  (func $tanhDelta32
    (param $Hh i32) (param $Delta i32) (param $B i32) (param $GH i32) (param $r0 i32) (param $r1 i32)
    (local $i i32) (local $r i32) (local $o i32) (local $h f64)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $r (local.get $r0))
      (block $done_r (loop $next_r
        (br_if $done_r (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $GH)) (local.get $r)) (i32.const 2)))
        (local.set $h (f64.promote_f32 (f32.load (i32.add (local.get $Hh) (local.get $o)))))
        (f32.store (i32.add (local.get $Delta) (local.get $o)) (f32.demote_f64 (f64.mul
          (f64.promote_f32 (f32.load (i32.add (local.get $Delta) (local.get $o))))
          (f64.sub (f64.const 1) (f64.mul (local.get $h) (local.get $h))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_r)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i))))

  ;; Rows r0 … r1 of W: the SGD step θ ← θ − lr (g + l2 θ) on these rows of W with their gradient
  ;; δᵀ X, applied tile by tile as it is summed (gemmDtXCore32; ∂J/∂W, zero on entry as the training step
  ;; leaves it, stays zero); db += Σ δ, then the step on these entries of b, leaving db at zero (sgd32; no
  ;; decay on b): what backward-sgd.ts's sgdStep does on the whole arrays.
  (func $dWStep32 (export "dWStep32")
    (param $Delta i32) (param $X i32) (param $W i32) (param $dW i32) (param $b i32) (param $db i32)
    (param $Sc i32) (param $B i32) (param $n i32) (param $GH i32) (param $r0 i32) (param $r1 i32)
    (param $P i32) (param $m i32) (param $hot i32) (param $E i32) (param $lr f64) (param $l2 f64)
    (local $w i32) (local $rows i32)
    (local.set $rows (i32.sub (local.get $r1) (local.get $r0)))
    (local.set $w (i32.shl (i32.mul (local.get $r0) (local.get $n)) (i32.const 2)))
    (call $gemmDtXCore32 (i32.add (local.get $Delta) (i32.shl (local.get $r0) (i32.const 2))) (local.get $X)
      (i32.add (local.get $dW) (local.get $w)) (i32.add (local.get $db) (i32.shl (local.get $r0) (i32.const 2)))
      (local.get $B) (local.get $n) (local.get $rows) (local.get $Sc) (local.get $GH)
      (i32.add (local.get $W) (local.get $w)) (f32.demote_f64 (local.get $lr)) (f32.demote_f64 (local.get $l2))
      (local.get $P) (local.get $m) (local.get $hot) (local.get $E))
    (call $sgd32 (i32.add (local.get $b) (i32.shl (local.get $r0) (i32.const 2))) (i32.add (local.get $db) (i32.shl (local.get $r0) (i32.const 2)))
      (local.get $rows) (local.get $lr) (f64.const 0)))

  ;; When no window needs ∂J/∂x (the word vectors do not learn): δ (and the ovr head's dU) on rows r0 … r1
  ;; and then the SGD step on those rows, in one call, so that the rows' δ is made by the thread that uses
  ;; it and a hand-off is saved. δ[i,r] depends on row r alone and dU[r] sums over the windows in turn, so
  ;; the values are those of ovrDeltaDx32 / tanhDeltaDx32 followed by dWStep32, for any cut of the rows.
  (func (export "ovrDeltaStep32")
    (param $dS i32) (param $Hh i32) (param $U i32) (param $dU i32) (param $Delta i32) (param $X i32) (param $W i32)
    (param $dW i32) (param $b i32) (param $db i32) (param $Sc i32)
    (param $B i32) (param $n i32) (param $H i32) (param $K i32) (param $r0 i32) (param $r1 i32)
    (param $P i32) (param $m i32) (param $hot i32) (param $E i32) (param $lr f64) (param $l2 f64)
    (call $ovrDelta32 (local.get $dS) (local.get $Hh) (local.get $U) (local.get $dU) (local.get $Delta)
      (local.get $B) (local.get $H) (local.get $K) (local.get $r0) (local.get $r1))
    (call $dWStep32 (local.get $Delta) (local.get $X) (local.get $W) (local.get $dW) (local.get $b) (local.get $db) (local.get $Sc)
      (local.get $B) (local.get $n) (i32.mul (local.get $K) (local.get $H)) (local.get $r0) (local.get $r1)
      (local.get $P) (local.get $m) (local.get $hot) (local.get $E) (local.get $lr) (local.get $l2)))

  (func (export "tanhDeltaStep32")
    (param $Hh i32) (param $Delta i32) (param $X i32) (param $W i32) (param $dW i32) (param $b i32) (param $db i32) (param $Sc i32)
    (param $B i32) (param $n i32) (param $GH i32) (param $r0 i32) (param $r1 i32)
    (param $P i32) (param $m i32) (param $hot i32) (param $E i32) (param $lr f64) (param $l2 f64)
    (call $tanhDelta32 (local.get $Hh) (local.get $Delta) (local.get $B) (local.get $GH) (local.get $r0) (local.get $r1))
    (call $dWStep32 (local.get $Delta) (local.get $X) (local.get $W) (local.get $dW) (local.get $b) (local.get $db) (local.get $Sc)
      (local.get $B) (local.get $n) (local.get $GH) (local.get $r0) (local.get $r1)
      (local.get $P) (local.get $m) (local.get $hot) (local.get $E) (local.get $lr) (local.get $l2)))

  ;; dX[i, p·m + t] += T[i, p·m + t] for the blocks with need[i·P + p] ≠ 0 (dX and T: B×n float32; need:
  ;; B·P bytes), on columns t = 0 … to where need is 1 and t = from … to where it is 2 (gemmDW32's
  ;; columns): add32 on each marked block, in one call.
  (func (export "addBlocks32")
    (param $dX i32) (param $T i32) (param $need i32) (param $B i32) (param $P i32) (param $m i32) (param $n i32) (param $from i32) (param $to i32)
    (local $i i32) (local $p i32) (local $o i32) (local $v i32) (local $c i32)
    (block $done_i (loop $next_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $B)))
      (local.set $p (i32.const 0))
      (block $done_p (loop $next_p
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $v (i32.load8_u (i32.add (local.get $need) (i32.add (i32.mul (local.get $i) (local.get $P)) (local.get $p)))))
        (if (local.get $v)
          (then
            (local.set $c (select (i32.const 0) (local.get $from) (i32.eq (local.get $v) (i32.const 1))))
            (local.set $o (i32.shl (i32.add (i32.add (i32.mul (local.get $i) (local.get $n)) (i32.mul (local.get $p) (local.get $m))) (local.get $c)) (i32.const 2)))
            (call $add32 (i32.add (local.get $dX) (local.get $o)) (i32.add (local.get $T) (local.get $o)) (i32.sub (local.get $to) (local.get $c)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next_p)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next_i))))

  ;; The SGD step on the word rows a minibatch touched (features.ts's scatterWordGrads then backward-sgd.ts's sgdRows, the same
  ;; float64 operations in the same order): for the blocks k = 0 … K−1 in turn whose word ids[k] is one of
  ;; the V own rows, acc[row] += the block's first d values of dX (float32, B×n, block k of window k / P at
  ;; (k mod P)·m), each row's acc starting at zero when the row is first met; then rows[id] −= lr · acc for
  ;; each row met (rows: float64, V×d). slot (V Int32s, all zero on entry and on return) numbers the rows
  ;; met; touched (K Int32s) lists them; acc holds K·d float64s.
  (func (export "rowsStep64")
    (param $ids i32) (param $K i32) (param $P i32) (param $n i32) (param $m i32) (param $d i32) (param $V i32)
    (param $dX i32) (param $rows i32) (param $acc i32) (param $slot i32) (param $touched i32) (param $lr f64)
    (local $k i32) (local $id i32) (local $s i32) (local $cnt i32) (local $j i32) (local $d2 i32)
    (local $a i32) (local $x i32) (local $r i32) (local $lrv v128) (local $sp i32)
    (local.set $d2 (i32.and (local.get $d) (i32.const -2)))
    (local.set $lrv (f64x2.splat (local.get $lr)))
    (block $done_k (loop $next_k
      (br_if $done_k (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $k) (i32.const 2)))))
      (if (i32.lt_u (local.get $id) (local.get $V))
        (then
          (local.set $sp (i32.add (local.get $slot) (i32.shl (local.get $id) (i32.const 2))))
          (local.set $s (i32.load (local.get $sp)))
          (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (i32.sub (select (local.get $s) (i32.add (local.get $cnt) (i32.const 1)) (local.get $s)) (i32.const 1)) (local.get $d)) (i32.const 3))))
          (if (i32.eqz (local.get $s))
            (then
              (i32.store (i32.add (local.get $touched) (i32.shl (local.get $cnt) (i32.const 2))) (local.get $id))
              (local.set $cnt (i32.add (local.get $cnt) (i32.const 1)))
              (i32.store (local.get $sp) (local.get $cnt))
              (memory.fill (local.get $a) (i32.const 0) (i32.shl (local.get $d) (i32.const 3)))))
          (local.set $x (i32.add (local.get $dX) (i32.shl (i32.add
            (i32.mul (i32.div_u (local.get $k) (local.get $P)) (local.get $n))
            (i32.mul (i32.rem_u (local.get $k) (local.get $P)) (local.get $m))) (i32.const 2))))
          (local.set $j (i32.const 0))
          (block $done_j (loop $next_j
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $d2)))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a))
              (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x)))))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $next_j)))
          (if (i32.lt_u (local.get $j) (local.get $d))
            (then (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (local.get $x)))))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_k)))
    (local.set $k (i32.const 0))
    (block $done_t (loop $next_t
      (br_if $done_t (i32.ge_u (local.get $k) (local.get $cnt)))
      (local.set $id (i32.load (i32.add (local.get $touched) (i32.shl (local.get $k) (i32.const 2)))))
      (i32.store (i32.add (local.get $slot) (i32.shl (local.get $id) (i32.const 2))) (i32.const 0))
      (local.set $r (i32.add (local.get $rows) (i32.shl (i32.mul (local.get $id) (local.get $d)) (i32.const 3))))
      (local.set $a (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $k) (local.get $d)) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $done_j (loop $next_j
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $d2)))
        (v128.store (local.get $r) (f64x2.sub (v128.load (local.get $r)) (f64x2.mul (local.get $lrv) (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $next_j)))
      (if (i32.lt_u (local.get $j) (local.get $d))
        (then (f64.store (local.get $r) (f64.sub (f64.load (local.get $r)) (f64.mul (local.get $lr) (f64.load (local.get $a)))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_t))))
)
