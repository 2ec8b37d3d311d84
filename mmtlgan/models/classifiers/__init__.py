from .multi_task_classifier import MultiTaskImageClassifier, task_losses

__all__ = ['MultiTaskImageClassifier', 'task_losses']
