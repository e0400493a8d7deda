"""Language detectors compared on XQuAD (issue 12): accuracy on paragraphs and questions, speed, memory.

One detector per process: `python bench/detectors.py NAME` prints one JSON line (load seconds,
accuracy overall and per language, texts per second, resident memory added). NAME is one of
py3langid, langdetect, lingua-low, lingua-high. Labels are compared as returned (no alias
folding: py3langid's 'wuu' for Mandarin counts as wrong here). Results: bench/results/detectors.md.
"""
import json, sys, time
def rss():
    with open("/proc/self/status") as f:
        for l in f:
            if l.startswith("VmRSS"): return int(l.split()[1])/1024
LANGS="ar de el en es hi ro ru th tr vi zh".split()
D="/work/shared/eval/xquad"
paras=[(l,json.loads(x)["text"]) for l in LANGS for x in open(f"{D}/{l}/docs.jsonl")]
qs=[(l,json.loads(x)["question"]) for l in LANGS for x in open(f"{D}/{l}/questions.jsonl")]
name=sys.argv[1]
r0=rss(); t0=time.perf_counter()
if name.startswith("lingua"):
    from lingua import LanguageDetectorBuilder
    b=LanguageDetectorBuilder.from_all_languages()
    if name=="lingua-low": b=b.with_low_accuracy_mode()
    if "pre" in name: b=b.with_preloaded_language_models()
    det=b.build()
    def f(t):
        r=det.detect_language_of(t)
        return r.iso_code_639_1.name.lower() if r else "?"
elif name=="langdetect":
    import langdetect
    from langdetect import DetectorFactory
    DetectorFactory.seed=0
    langdetect.detect("hello world")
    def f(t):
        try: return langdetect.detect(t).split("-")[0]
        except Exception: return "?"
elif name=="py3langid":
    import py3langid as langid
    langid.classify("hello world")
    def f(t): return langid.classify(t)[0]
tload=time.perf_counter()-t0
f("warm up text"); 
out={"name":name,"load_s":round(tload,2)}
for kind,items in (("para",paras),("q",qs)):
    t=time.perf_counter(); ok=0; per={}
    for l,x in items:
        g=f(x); c=(g==l); ok+=c; per.setdefault(l,[0,0]); per[l][0]+=c; per[l][1]+=1
    dt=time.perf_counter()-t
    out[kind+"_acc"]=round(ok/len(items),4); out[kind+"_per_s"]=round(len(items)/dt,1)
    out[kind+"_by_lang"]={l:round(a/b,3) for l,(a,b) in per.items()}
out["rss_add_mb"]=round(rss()-r0,1)
print(json.dumps(out))
