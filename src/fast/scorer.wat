;; The tagger's scorer (src/predict/fast-scorer.ts) in WebAssembly with 128-bit SIMD on float32 (f32x4:
;; four lanes). Assembled at build time by wabt's wat2wasm into dist/src/fast/scorer.wasm (npm run
;; build:wasm); loaded by src/fast/scorer-wasm.ts on the arena of src/fast/arena.ts.
;;
;; One call, `windows`, does one chunk of windows for the w hidden units (padded to a multiple of 4, see
;; fast-scorer.ts):
;;   fills  store[e, p, :] = W_p,word · row                (before the first window that uses entry e)
;;   z      z = b + Σ_p (store[wo_p, p, :] + caseT[co_p, :])   (bias, then word and casing term of p = 0, 1, …)
;;   h      h = f(z): tanh ($tanh4 below, two at a time), relu, or sigmoid = (1 + tanh(z/2)) / 2
;;   S      S[i, k] = Σ_{j ∈ [lo_k, hi_k)} U[k, j] h_j         (s_k = c_k + S[i, k], added in fast-scorer.ts)
;; Every lane's sums are done in a fixed order, with every operation rounded to float32 (no fused
;; multiply-add), so the same text gives bit-identical results on any thread and machine.
;;
;; Arrays are byte offsets into the memory; sizes are element counts. Integer tables are int32.

(module
  (import "env" "memory" (memory 1 1024 shared))

  ;; ── tanh ───────────────────────────────────────────────────────────────────────────────────────
  ;; tanh of four float32 values. With a = |z|, y = max(−2a, −30) (beyond, tanh a rounds to 1):
  ;; tanh a = −m / (2 + m), m = e^y − 1, without cancellation: e^y = 2^k (1 + q), k = nearest(y / ln 2),
  ;; r = (y − k ln2hi) − k ln2lo (ln 2 in two parts, k ln2hi exact), q = e^r − 1 by its Taylor polynomial
  ;; to r⁸ (|r| ≤ ln 2 / 2: error below 1e-8), m = (2^k − 1) + 2^k q. Then z's sign is put back.
  (func $tanh4 (param $z v128) (result v128)
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

  ;; two tanh4 at once, their steps interleaved (two independent chains for the CPU to overlap)
  (func $tanh4x2 (param $z1 v128) (param $z2 v128) (result v128 v128)
    (local $y1 v128) (local $k1 v128) (local $r1 v128) (local $p1 v128) (local $s1 v128) (local $m1 v128)
    (local $y2 v128) (local $k2 v128) (local $r2 v128) (local $p2 v128) (local $s2 v128) (local $m2 v128)
    (local.set $y1 (f32x4.max (f32x4.mul (v128.const f32x4 -2 -2 -2 -2) (f32x4.abs (local.get $z1)))
      (v128.const f32x4 -30 -30 -30 -30)))
    (local.set $y2 (f32x4.max (f32x4.mul (v128.const f32x4 -2 -2 -2 -2) (f32x4.abs (local.get $z2)))
      (v128.const f32x4 -30 -30 -30 -30)))
    (local.set $k1 (f32x4.nearest (f32x4.mul (local.get $y1)
      (v128.const f32x4 0x1.715476p0 0x1.715476p0 0x1.715476p0 0x1.715476p0))))
    (local.set $k2 (f32x4.nearest (f32x4.mul (local.get $y2)
      (v128.const f32x4 0x1.715476p0 0x1.715476p0 0x1.715476p0 0x1.715476p0))))
    (local.set $r1 (f32x4.sub
      (f32x4.sub (local.get $y1) (f32x4.mul (local.get $k1) (v128.const f32x4 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1)))
      (f32x4.mul (local.get $k1) (v128.const f32x4 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20))))
    (local.set $r2 (f32x4.sub
      (f32x4.sub (local.get $y2) (f32x4.mul (local.get $k2) (v128.const f32x4 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1 0x1.62e4p-1)))
      (f32x4.mul (local.get $k2) (v128.const f32x4 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20 0x1.7f7d1cp-20))))
    (local.set $p1 (v128.const f32x4 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16)) ;; 1/8!
    (local.set $p2 (v128.const f32x4 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16 0x1.a01a02p-16)) ;; 1/8!
    (local.set $p1 (f32x4.add (v128.const f32x4 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13) (f32x4.mul (local.get $r1) (local.get $p1)))) ;; 1/7!
    (local.set $p2 (f32x4.add (v128.const f32x4 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13 0x1.a01a02p-13) (f32x4.mul (local.get $r2) (local.get $p2)))) ;; 1/7!
    (local.set $p1 (f32x4.add (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10) (f32x4.mul (local.get $r1) (local.get $p1)))) ;; 1/6!
    (local.set $p2 (f32x4.add (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10) (f32x4.mul (local.get $r2) (local.get $p2)))) ;; 1/6!
    (local.set $p1 (f32x4.add (v128.const f32x4 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7) (f32x4.mul (local.get $r1) (local.get $p1)))) ;; 1/5!
    (local.set $p2 (f32x4.add (v128.const f32x4 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7 0x1.111112p-7) (f32x4.mul (local.get $r2) (local.get $p2)))) ;; 1/5!
    (local.set $p1 (f32x4.add (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5) (f32x4.mul (local.get $r1) (local.get $p1)))) ;; 1/4!
    (local.set $p2 (f32x4.add (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5) (f32x4.mul (local.get $r2) (local.get $p2)))) ;; 1/4!
    (local.set $p1 (f32x4.add (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3) (f32x4.mul (local.get $r1) (local.get $p1)))) ;; 1/3!
    (local.set $p2 (f32x4.add (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3) (f32x4.mul (local.get $r2) (local.get $p2)))) ;; 1/3!
    (local.set $p1 (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $r1) (local.get $p1))))
    ;; q = r + r² p; 2^k from its exponent bits (k ≥ −44: a normal number)
    (local.set $p2 (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (local.get $r2) (local.get $p2))))
    ;; q = r + r² p; 2^k from its exponent bits (k ≥ −44: a normal number)
    (local.set $p1 (f32x4.add (local.get $r1) (f32x4.mul (f32x4.mul (local.get $r1) (local.get $r1)) (local.get $p1))))
    (local.set $p2 (f32x4.add (local.get $r2) (f32x4.mul (f32x4.mul (local.get $r2) (local.get $r2)) (local.get $p2))))
    (local.set $s1 (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k1)) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    (local.set $s2 (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k2)) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    (local.set $m1 (f32x4.add (f32x4.sub (local.get $s1) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $s1) (local.get $p1))))
    (local.set $m2 (f32x4.add (f32x4.sub (local.get $s2) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $s2) (local.get $p2))))
    (v128.or
      (v128.and (local.get $z1) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
      (f32x4.abs (f32x4.div (local.get $m1) (f32x4.add (v128.const f32x4 2 2 2 2) (local.get $m1)))))
    (v128.or
      (v128.and (local.get $z2) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
      (f32x4.abs (f32x4.div (local.get $m2) (f32x4.add (v128.const f32x4 2 2 2 2) (local.get $m2))))))

  ;; h[i] = tanh(z[i]) for i < len (len a multiple of 4): for the tests
  (func (export "tanh") (param $z i32) (param $h i32) (param $len i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $z) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $z) (local.get $end)))
        (v128.store (local.get $h) (call $tanh4 (v128.load (local.get $z))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (br $next))))

  ;; ── fill ───────────────────────────────────────────────────────────────────────────────────────
  ;; out[j] = Σ_t row[t] · WT[t, j] for j < w (w a multiple of 4; WT: d × w, the transposed word block
  ;; of one window position), t = 0, 1, … in order in every lane. 32 units at a
  ;; time (8 sums in registers, each row value loaded once for them), then 4 at a time.
  (func $fill (param $WT i32) (param $row i32) (param $d i32) (param $w i32) (param $out i32)
    (local $j i32) (local $t i32) (local $src i32) (local $stride i32) (local $e v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $stride (i32.shl (local.get $w) (i32.const 2)))
    (block $done32
      (loop $next32
        (br_if $done32 (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $w)))
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $src (i32.add (local.get $WT) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $t (i32.const 0))
        (block $tdone
          (loop $tnext
            (br_if $tdone (i32.ge_u (local.get $t) (local.get $d)))
            (local.set $e (f32x4.splat (f32.load (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2))))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (local.get $src)) (local.get $e))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $src)) (local.get $e))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $src)) (local.get $e))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $src)) (local.get $e))))
            (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=64 (local.get $src)) (local.get $e))))
            (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=80 (local.get $src)) (local.get $e))))
            (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=96 (local.get $src)) (local.get $e))))
            (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=112 (local.get $src)) (local.get $e))))
            (local.set $src (i32.add (local.get $src) (local.get $stride)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $tnext)))
        (local.set $src (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store offset=0 (local.get $src) (local.get $a0))
        (v128.store offset=16 (local.get $src) (local.get $a1))
        (v128.store offset=32 (local.get $src) (local.get $a2))
        (v128.store offset=48 (local.get $src) (local.get $a3))
        (v128.store offset=64 (local.get $src) (local.get $a4))
        (v128.store offset=80 (local.get $src) (local.get $a5))
        (v128.store offset=96 (local.get $src) (local.get $a6))
        (v128.store offset=112 (local.get $src) (local.get $a7))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $next32)))
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $w)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $src (i32.add (local.get $WT) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $t (i32.const 0))
        (block $tdone4
          (loop $tnext4
            (br_if $tdone4 (i32.ge_u (local.get $t) (local.get $d)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $src))
              (f32x4.splat (f32.load (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2))))))))
            (local.set $src (i32.add (local.get $src) (local.get $stride)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $tnext4)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next4))))

  ;; ── the store ────────────────────────────────────────────────────────────────────────────────────
  ;; The byte address of store entry e: the store is cut in segments of 1024 entries (allocated as they
  ;; are needed), segs[s] holding the address of segment s.
  (func $entry (param $segs i32) (param $entryBytes i32) (param $e i32) (result i32)
    (i32.add
      (i32.load (i32.add (local.get $segs) (i32.shl (i32.shr_u (local.get $e) (i32.const 10)) (i32.const 2))))
      (i32.mul (i32.and (local.get $e) (i32.const 1023)) (local.get $entryBytes))))

  ;; the four lanes of v summed as (l0 + l1) + (l2 + l3)
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; ── windows ────────────────────────────────────────────────────────────────────────────────────
  ;; Windows [0, B) of a planned chunk (see the top of the file). wo[i, p]: the store entry
  ;; of window i's word at position p; co[i, p]: the row of caseT (p·C + casing) for it. Fill f (in
  ;; window order) fills entry fillEntry[f] from row f of rows (d values) before window fillAt[f].
  ;; kr[k] = (lo_k, hi_k): the units that s_k uses (multiples of 4; lo = hi: none).
  (func (export "windows")
    (param $B i32) (param $nFills i32) (param $P i32) (param $w i32) (param $d i32) (param $K i32)
    (param $WT i32) (param $bias i32) (param $caseT i32) (param $segs i32)
    (param $wo i32) (param $co i32) (param $fillAt i32) (param $fillEntry i32) (param $rows i32)
    (param $h i32) (param $U i32) (param $kr i32) (param $S i32) (param $act i32)
    (local $i i32) (local $f i32) (local $p i32) (local $j i32) (local $k i32) (local $e i32)
    (local $wb i32) (local $entryBytes i32) (local $blockBytes i32) (local $plan i32) (local $end i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $w4 i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32)
    (local $v v128) (local $acc0 v128) (local $acc1 v128) (local $u i32) (local $hh i32)
    (local $b0 v128) (local $b1 v128) (local $c0v v128) (local $c1v v128) (local $d0 v128) (local $d1 v128)
    (local $h0 v128) (local $h1 v128)
    (local.set $wb (i32.shl (local.get $w) (i32.const 2))) ;; bytes of one position's units
    (local.set $entryBytes (i32.mul (local.get $P) (local.get $wb)))
    (local.set $blockBytes (i32.mul (local.get $d) (local.get $wb))) ;; one position's WT
    (block $windows
      (loop $window
        (br_if $windows (i32.ge_u (local.get $i) (local.get $B)))
        ;; the fills planned before this window
        (block $fills
          (loop $fillNext
            (br_if $fills (i32.ge_u (local.get $f) (local.get $nFills)))
            (br_if $fills (i32.ne (i32.load (i32.add (local.get $fillAt) (i32.shl (local.get $f) (i32.const 2)))) (local.get $i)))
            (local.set $e (call $entry (local.get $segs) (local.get $entryBytes)
              (i32.load (i32.add (local.get $fillEntry) (i32.shl (local.get $f) (i32.const 2))))))
            (local.set $p (i32.const 0))
            (block $pdone
              (loop $pnext
                (br_if $pdone (i32.ge_u (local.get $p) (local.get $P)))
                (call $fill
                  (i32.add (local.get $WT) (i32.mul (local.get $p) (local.get $blockBytes)))
                  (i32.add (local.get $rows) (i32.shl (i32.mul (local.get $f) (local.get $d)) (i32.const 2)))
                  (local.get $d) (local.get $w)
                  (i32.add (local.get $e) (i32.mul (local.get $p) (local.get $wb))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pnext)))
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            (br $fillNext)))
        ;; z and h = tanh z of this window's units
        (local.set $plan (i32.add (local.get $wo) (i32.shl (i32.mul (local.get $i) (local.get $P)) (i32.const 2))))
        (if (i32.eq (local.get $P) (i32.const 5))
          (then
            ;; the usual window (w = 2) written out: the same additions in the same order
            (local.set $w0 (call $entry (local.get $segs) (local.get $entryBytes) (i32.load offset=0 (local.get $plan))))
            (local.set $w1 (i32.add (local.get $wb) (call $entry (local.get $segs) (local.get $entryBytes) (i32.load offset=4 (local.get $plan)))))
            (local.set $w2 (i32.add (i32.shl (local.get $wb) (i32.const 1)) (call $entry (local.get $segs) (local.get $entryBytes) (i32.load offset=8 (local.get $plan)))))
            (local.set $w3 (i32.add (i32.mul (local.get $wb) (i32.const 3)) (call $entry (local.get $segs) (local.get $entryBytes) (i32.load offset=12 (local.get $plan)))))
            (local.set $w4 (i32.add (i32.shl (local.get $wb) (i32.const 2)) (call $entry (local.get $segs) (local.get $entryBytes) (i32.load offset=16 (local.get $plan)))))
            (local.set $plan (i32.add (local.get $co) (i32.shl (i32.mul (local.get $i) (local.get $P)) (i32.const 2))))
            (local.set $c0 (i32.add (local.get $caseT) (i32.mul (local.get $wb) (i32.load offset=0 (local.get $plan)))))
            (local.set $c1 (i32.add (local.get $caseT) (i32.mul (local.get $wb) (i32.load offset=4 (local.get $plan)))))
            (local.set $c2 (i32.add (local.get $caseT) (i32.mul (local.get $wb) (i32.load offset=8 (local.get $plan)))))
            (local.set $c3 (i32.add (local.get $caseT) (i32.mul (local.get $wb) (i32.load offset=12 (local.get $plan)))))
            (local.set $c4 (i32.add (local.get $caseT) (i32.mul (local.get $wb) (i32.load offset=16 (local.get $plan)))))
            (local.set $j (i32.const 0))
            (block $jdone
              (loop $jnext
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $wb)))
                (local.set $v (v128.load (i32.add (local.get $bias) (local.get $j))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $w0) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c0) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $w1) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c1) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $w2) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c2) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $w3) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c3) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $w4) (local.get $j)))))
                (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c4) (local.get $j)))))
                (v128.store (i32.add (local.get $h) (local.get $j)) (local.get $v))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $jnext))))
          (else
            ;; any window size: z = b, then each position's terms added in turn
            (local.set $j (i32.const 0))
            (block $bdone
              (loop $bnext
                (br_if $bdone (i32.ge_u (local.get $j) (local.get $wb)))
                (v128.store (i32.add (local.get $h) (local.get $j)) (v128.load (i32.add (local.get $bias) (local.get $j))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $bnext)))
            (local.set $p (i32.const 0))
            (block $pdone2
              (loop $pnext2
                (br_if $pdone2 (i32.ge_u (local.get $p) (local.get $P)))
                (local.set $w0 (i32.add (i32.mul (local.get $p) (local.get $wb))
                  (call $entry (local.get $segs) (local.get $entryBytes) (i32.load (i32.add (local.get $plan) (i32.shl (local.get $p) (i32.const 2)))))))
                (local.set $c0 (i32.add (local.get $caseT) (i32.mul (local.get $wb)
                  (i32.load (i32.add (i32.add (local.get $co) (i32.shl (i32.mul (local.get $i) (local.get $P)) (i32.const 2)))
                    (i32.shl (local.get $p) (i32.const 2)))))))
                (local.set $j (i32.const 0))
                (block $jdone2
                  (loop $jnext2
                    (br_if $jdone2 (i32.ge_u (local.get $j) (local.get $wb)))
                    (local.set $v (f32x4.add (v128.load (i32.add (local.get $h) (local.get $j))) (v128.load (i32.add (local.get $w0) (local.get $j)))))
                    (v128.store (i32.add (local.get $h) (local.get $j)) (f32x4.add (local.get $v) (v128.load (i32.add (local.get $c0) (local.get $j)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $jnext2)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pnext2)))))
        ;; h = f(z): tanh ($act 0), eight units at a time, then four; relu (1); sigmoid (2), as (1 + tanh(z/2)) / 2
        (if (i32.eqz (local.get $act))
          (then
            (local.set $j (i32.const 0))
            (block $tdone
              (loop $tnext
                (br_if $tdone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $wb)))
                (local.set $hh (i32.add (local.get $h) (local.get $j)))
                (call $tanh4x2 (v128.load (local.get $hh)) (v128.load offset=16 (local.get $hh)))
                (local.set $acc1)
                (local.set $acc0)
                (v128.store (local.get $hh) (local.get $acc0))
                (v128.store offset=16 (local.get $hh) (local.get $acc1))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $tnext)))
            (if (i32.lt_u (local.get $j) (local.get $wb))
              (then
                (local.set $hh (i32.add (local.get $h) (local.get $j)))
                (v128.store (local.get $hh) (call $tanh4 (v128.load (local.get $hh)))))))
          (else
            (local.set $j (i32.const 0))
            (block $adone
              (loop $anext
                (br_if $adone (i32.ge_u (local.get $j) (local.get $wb)))
                (local.set $hh (i32.add (local.get $h) (local.get $j)))
                (local.set $v (v128.load (local.get $hh)))
                (v128.store (local.get $hh)
                  (if (result v128) (i32.eq (local.get $act) (i32.const 1))
                    (then (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))
                    (else (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5)
                      (f32x4.add (v128.const f32x4 1 1 1 1)
                        (call $tanh4 (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (local.get $v))))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $anext)))))
        ;; S[i, k] = Σ_{j ∈ [lo_k, hi_k)} U[k, j] h_j: two running sums (alternate groups of four units),
        ;; added, then the four lanes as (l0 + l1) + (l2 + l3). Four outputs that use the same units (every
        ;; output of the softmax and logistic heads) are summed together: each h is loaded once for them and
        ;; the eight running sums are independent chains, with each s_k's operations in the same order.
        (local.set $k (i32.const 0))
        (block $k4done
          (loop $k4next
            (br_if $k4done (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
            (local.set $j (i32.add (local.get $kr) (i32.shl (local.get $k) (i32.const 3))))
            (br_if $k4done (i32.eqz (i64.eq (i64.load (local.get $j)) (i64.load offset=8 (local.get $j)))))
            (br_if $k4done (i32.eqz (i64.eq (i64.load (local.get $j)) (i64.load offset=16 (local.get $j)))))
            (br_if $k4done (i32.eqz (i64.eq (i64.load (local.get $j)) (i64.load offset=24 (local.get $j)))))
            (local.set $end (i32.shl (i32.load offset=4 (local.get $j)) (i32.const 2)))
            (local.set $j (i32.shl (i32.load (local.get $j)) (i32.const 2)))
            (local.set $u (i32.add (local.get $U) (i32.mul (local.get $k) (local.get $wb))))
            (local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0)) (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $c0v (v128.const i32x4 0 0 0 0)) (local.set $c1v (v128.const i32x4 0 0 0 0))
            (local.set $d0 (v128.const i32x4 0 0 0 0)) (local.set $d1 (v128.const i32x4 0 0 0 0))
            (block $u4done
              (loop $u4next
                (br_if $u4done (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $end)))
                (local.set $hh (i32.add (local.get $h) (local.get $j)))
                (local.set $h0 (v128.load (local.get $hh)))
                (local.set $h1 (v128.load offset=16 (local.get $hh)))
                (local.set $hh (i32.add (local.get $u) (local.get $j)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $hh)) (local.get $h1))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (v128.load offset=16 (local.get $hh)) (local.get $h1))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $c0v (f32x4.add (local.get $c0v) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $c1v (f32x4.add (local.get $c1v) (f32x4.mul (v128.load offset=16 (local.get $hh)) (local.get $h1))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (v128.load offset=16 (local.get $hh)) (local.get $h1))))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $u4next)))
            (if (i32.lt_u (local.get $j) (local.get $end))
              (then
                (local.set $h0 (v128.load (i32.add (local.get $h) (local.get $j))))
                (local.set $hh (i32.add (local.get $u) (local.get $j)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $c0v (f32x4.add (local.get $c0v) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))
                (local.set $hh (i32.add (local.get $hh) (local.get $wb)))
                (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (v128.load (local.get $hh)) (local.get $h0))))))
            (local.set $hh (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2))))
            (f32.store (local.get $hh) (call $lanes (f32x4.add (local.get $acc0) (local.get $acc1))))
            (f32.store offset=4 (local.get $hh) (call $lanes (f32x4.add (local.get $b0) (local.get $b1))))
            (f32.store offset=8 (local.get $hh) (call $lanes (f32x4.add (local.get $c0v) (local.get $c1v))))
            (f32.store offset=12 (local.get $hh) (call $lanes (f32x4.add (local.get $d0) (local.get $d1))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $k4next)))
        ;; the other outputs one at a time
        (block $kdone
          (loop $knext
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $K)))
            (local.set $acc0 (v128.const i32x4 0 0 0 0))
            (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.shl (i32.load (i32.add (local.get $kr) (i32.shl (local.get $k) (i32.const 3)))) (i32.const 2)))
            (local.set $end (i32.shl (i32.load offset=4 (i32.add (local.get $kr) (i32.shl (local.get $k) (i32.const 3)))) (i32.const 2)))
            (local.set $u (i32.add (local.get $U) (i32.mul (local.get $k) (local.get $wb))))
            (block $udone
              (loop $unext
                (br_if $udone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $end)))
                (local.set $hh (i32.add (local.get $h) (local.get $j)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (i32.add (local.get $u) (local.get $j))) (v128.load (local.get $hh)))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (i32.add (local.get $u) (local.get $j))) (v128.load offset=16 (local.get $hh)))))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $unext)))
            (if (i32.lt_u (local.get $j) (local.get $end))
              (then
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (i32.add (local.get $u) (local.get $j)))
                  (v128.load (i32.add (local.get $h) (local.get $j))))))))
            (f32.store (i32.add (local.get $S) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $K)) (local.get $k)) (i32.const 2)))
              (call $lanes (f32x4.add (local.get $acc0) (local.get $acc1))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $knext)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $window))))
)
