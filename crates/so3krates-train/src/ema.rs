//! Exponential moving average (Polyak averaging) of the weights, used for evaluation.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;
use so3krates_core::network::So3krates;

/// Collects every float parameter, flattened, by id.
struct Collect<B: Backend> {
    values: HashMap<ParamId, Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        let n = value.shape().num_elements();
        self.values.insert(param.id, value.reshape([n]));
    }
}

/// ema ← decay·ema + (1 − decay)·current for every parameter of the same id.
struct Blend<B: Backend> {
    current: HashMap<ParamId, Tensor<B, 1>>,
    decay: f64,
}

impl<B: Backend> ModuleMapper<B> for Blend<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, average, mapper) = param.consume();
        let average = match self.current.remove(&id) {
            Some(current) => {
                let current = current.reshape(average.shape());
                average.mul_scalar(self.decay) + current.mul_scalar(1.0 - self.decay)
            }
            None => average,
        };
        Param::from_mapped_value(id, average, mapper)
    }
}

/// One averaging step: returns `decay·average + (1 − decay)·current`, matched by parameter
/// id (`average` must descend from a clone of `current`'s network or from its record).
pub fn update_average<B: Backend>(average: So3krates<B>, current: &So3krates<B>, decay: f64) -> So3krates<B> {
    let mut collect = Collect { values: HashMap::new() };
    current.visit(&mut collect);
    average.map(&mut Blend { current: collect.values, decay })
}

#[cfg(test)]
mod tests {
    use super::*;
    use so3krates_core::backend::CpuF64Backend;
    use so3krates_core::tensors::to_f64_vec;
    use so3krates_core::ModelConfig;

    struct Double;

    impl<B: Backend> ModuleMapper<B> for Double {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, value, mapper) = param.consume();
            Param::from_mapped_value(id, value.mul_scalar(2.0), mapper)
        }
    }

    #[test]
    fn average_moves_towards_current_weights() {
        type B = CpuF64Backend;
        let device = Default::default();
        let config =
            ModelConfig { features: 8, layers: 1, heads: 2, degrees: vec![1, 2], ..Default::default() };
        let start = So3krates::<B>::new(&config, &device);
        // "Current" weights: the start, doubled (same ids).
        let current = start.clone().map(&mut Double);
        let average = update_average(start.clone(), &current, 0.75);
        let a = to_f64_vec(average.embedding.val());
        let s = to_f64_vec(start.embedding.val());
        for (x, y) in a.iter().zip(&s) {
            assert!((x - 1.25 * y).abs() < 1e-12);
        }
    }
}
