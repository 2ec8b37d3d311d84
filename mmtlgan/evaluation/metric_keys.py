"""The metric keys mmtlgan reads and writes, in one place.

They are the keys MMPretrain's ``Accuracy(topk=(1, 5))`` and
``SingleLabelMetric(average=None)`` report, so classifier stages (through MMEngine's test
loop) and linear probes (which compute the same metrics with MMPretrain's ``calculate``)
are read alike by the experiment report and the tools.
"""
TOP1 = 'accuracy/top1'
TOP5 = 'accuracy/top5'
#: ``SingleLabelMetric`` item -> its per-class key.
CLASSWISE_KEYS = {
    'precision': 'single-label/precision_classwise',
    'recall': 'single-label/recall_classwise',
    'f1-score': 'single-label/f1-score_classwise',
}
#: MMPretrain's ``ConfusionMatrix`` result: rows = true class, columns = predicted class.
CONFUSION_MATRIX = 'confusion_matrix/result'
#: What every classifier stage reports: top-1/top-5, per-class precision/recall/F1 and the
#: confusion matrix.
CLS_EVALUATOR = [
    dict(type='Accuracy', topk=(1, 5)),
    dict(type='SingleLabelMetric', average=None, items=tuple(CLASSWISE_KEYS)),
    dict(type='ConfusionMatrix'),
]
